package mysql

import (
	"errors"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/compute/types"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/coord"
	"github.com/doricdb/doric/frontend/ddl"
	"github.com/doricdb/doric/frontend/parser"
)

// classify maps an error to a MySQL error number by its type. Unclassified errors are
// ER_UNKNOWN_ERROR (1105), which is what Doris answers for most of its own errors too.
func classify(err error) uint16 {
	var se *parser.SyntaxError
	if errors.As(err, &se) {
		return gomysql.ER_PARSE_ERROR
	}
	var be *binder.Error
	if errors.As(err, &be) {
		if c, ok := binderCodes[be.Code]; ok {
			return c
		}
		return gomysql.ER_UNKNOWN_ERROR
	}
	var ie *coord.InterruptedError
	if errors.As(err, &ie) {
		return gomysql.ER_QUERY_INTERRUPTED // KILL and query_timeout (Doris answers 1105 with the same text)
	}
	var nc *coord.NoSuchConnectionError
	if errors.As(err, &nc) {
		return gomysql.ER_NO_SUCH_THREAD
	}
	var tz *types.UnknownTimeZoneError
	if errors.As(err, &tz) {
		return gomysql.ER_UNKNOWN_TIME_ZONE
	}
	if s, ok := status.FromError(err); ok && s.Code() == codes.ResourceExhausted {
		return gomysql.ER_UNKNOWN_ERROR // MEM_LIMIT_EXCEEDED and -235: Doris's 1105, the message says which
	}
	var le *coord.LabelExistsError
	if errors.As(err, &le) {
		return gomysql.ER_UNKNOWN_ERROR // Doris answers a used label with 1105 too
	}
	var ns *ddl.NotSupportedError
	if errors.As(err, &ns) {
		return gomysql.ER_NOT_SUPPORTED_YET
	}
	var ve *ddl.VaultError
	if errors.As(err, &ve) {
		// Doris answers every storage vault failure (exists, unknown, check failed) with 1105,
		// its DdlException code; clients tell them apart by the message.
		switch ve.Kind {
		case ddl.VaultExists, ddl.UnknownVault, ddl.VaultUnusable:
			return gomysql.ER_UNKNOWN_ERROR
		}
	}
	var npe *partition.NoPartitionError
	if errors.As(err, &npe) {
		return gomysql.ER_NO_PARTITION_FOR_GIVEN_VALUE
	}
	var ce *catalog.Error
	if errors.As(err, &ce) {
		switch ce.Kind {
		case catalog.PartitionExists:
			return gomysql.ER_SAME_NAME_PARTITION
		case catalog.UnknownPartition:
			return gomysql.ER_DROP_PARTITION_NON_EXISTENT
		case catalog.NotPartitioned:
			return gomysql.ER_PARTITION_MGMT_ON_NONPARTITIONED
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

var binderCodes = map[binder.Code]uint16{
	binder.ErrNoDatabase:       gomysql.ER_NO_DB_ERROR,
	binder.ErrUnknownDatabase:  gomysql.ER_BAD_DB_ERROR,
	binder.ErrUnknownTable:     gomysql.ER_BAD_TABLE_ERROR,
	binder.ErrUnknownColumn:    gomysql.ER_BAD_FIELD_ERROR,
	binder.ErrUnknownFunction:  gomysql.ER_SP_DOES_NOT_EXIST,
	binder.ErrUnknownVariable:  gomysql.ER_UNKNOWN_SYSTEM_VARIABLE,
	binder.ErrNoTables:         gomysql.ER_NO_TABLES_USED,
	binder.ErrNotGrouped:       gomysql.ER_WRONG_FIELD_WITH_GROUP,
	binder.ErrInvalidGroupFunc: gomysql.ER_INVALID_GROUP_FUNC_USE,
	binder.ErrValueCount:       gomysql.ER_WRONG_VALUE_COUNT_ON_ROW,
	binder.ErrDuplicateColumn:  gomysql.ER_DUP_FIELDNAME,
	binder.ErrNoDefault:        gomysql.ER_NO_DEFAULT_FOR_FIELD,
	binder.ErrBadNull:          gomysql.ER_BAD_NULL_ERROR,
	binder.ErrBadValue:         gomysql.ER_TRUNCATED_WRONG_VALUE_FOR_FIELD,
	binder.ErrInvalidDefault:   gomysql.ER_INVALID_DEFAULT,
	binder.ErrNotSupported:     gomysql.ER_NOT_SUPPORTED_YET,
	binder.ErrUnknownPartition: gomysql.ER_UNKNOWN_PARTITION,
}
