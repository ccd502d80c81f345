package mysql

import (
	"errors"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/parser"
)

// classify maps an error to a MySQL error number by its type. Unclassified errors are
// ER_UNKNOWN_ERROR (1105), which is what Doris answers for most of its own errors too.
func classify(err error) uint16 {
	var se *parser.SyntaxError
	if errors.As(err, &se) {
		return gomysql.ER_PARSE_ERROR
	}
	var ce *catalog.Error
	if errors.As(err, &ce) {
		switch ce.Kind {
		case catalog.DatabaseExists:
			return gomysql.ER_DB_CREATE_EXISTS
		case catalog.UnknownDatabase:
			return gomysql.ER_BAD_DB_ERROR
		case catalog.TableExists:
			return gomysql.ER_TABLE_EXISTS_ERROR
		case catalog.UnknownTable:
			return gomysql.ER_BAD_TABLE_ERROR
		}
	}
	if s, ok := status.FromError(err); ok && s.Code() == codes.DeadlineExceeded {
		return gomysql.ER_QUERY_INTERRUPTED
	}
	return gomysql.ER_UNKNOWN_ERROR
}
