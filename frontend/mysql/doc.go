// Package mysql is the frontend's MySQL wire-protocol adapter, built on go-mysql's server package.
// It owns the listener, the handshake (mysql_native_password; users come from a Credentials
// function), the text encoding of typed result rows, and the mapping of Doric's classified errors
// to MySQL error numbers and SQLSTATEs — the only place that mapping exists.
//
// It has no SQL knowledge: each connection gets a Session from the SessionFactory and every
// COM_QUERY text is handed to Session.Execute as is. An OK result with an Info string (Doris's
// INSERT reply, {'label':'...', 'status':'VISIBLE', 'txnId':'...'}) is written by this package
// itself, because go-mysql's OK packet has no info (see okinfo.go); the mysql CLI prints it. A
// client that hangs up (closes its socket or sends COM_QUIT) while its statement runs cancels
// the statement's context (hangup.go). A Session is used by one connection goroutine
// at a time; Server.Serve runs one goroutine per connection and may be called once.
package mysql
