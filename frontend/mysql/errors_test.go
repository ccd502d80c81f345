package mysql

import (
	"fmt"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/doricdb/doric/compute/partition"
	"github.com/doricdb/doric/frontend/binder"
	"github.com/doricdb/doric/frontend/catalog"
	"github.com/doricdb/doric/frontend/ddl"
	"github.com/doricdb/doric/frontend/parser"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want uint16
	}{
		{&parser.SyntaxError{Msg: "x"}, gomysql.ER_PARSE_ERROR},
		{&binder.Error{Code: binder.ErrNotSupported}, gomysql.ER_NOT_SUPPORTED_YET},
		{&binder.Error{Code: binder.ErrInvalidDDL}, gomysql.ER_UNKNOWN_ERROR},
		{&ddl.NotSupportedError{What: "x"}, gomysql.ER_NOT_SUPPORTED_YET},
		// Storage vault failures are 1105, as Doris's DdlException, even when wrapped.
		{&ddl.VaultError{Kind: ddl.VaultExists, Name: "v"}, gomysql.ER_UNKNOWN_ERROR},
		{fmt.Errorf("create table: %w", &ddl.VaultError{Kind: ddl.UnknownVault, Name: "v"}), gomysql.ER_UNKNOWN_ERROR},
		{&ddl.VaultError{Kind: ddl.VaultUnusable, Name: "v", Step: "write"}, gomysql.ER_UNKNOWN_ERROR},
		{&binder.Error{Code: binder.ErrUnknownPartition}, gomysql.ER_UNKNOWN_PARTITION},
		{fmt.Errorf("load: %w", &partition.NoPartitionError{Row: 1, Columns: []string{"d"}, Values: []string{"x"}}), gomysql.ER_NO_PARTITION_FOR_GIVEN_VALUE},
		{&catalog.Error{Kind: catalog.PartitionExists, Name: "p"}, gomysql.ER_SAME_NAME_PARTITION},
		{&catalog.Error{Kind: catalog.UnknownPartition, Name: "p"}, gomysql.ER_DROP_PARTITION_NON_EXISTENT},
		{&partition.Error{Msg: "Range ... is intersected with range: ..."}, gomysql.ER_UNKNOWN_ERROR},
	} {
		if got := classify(tc.err); got != tc.want {
			t.Errorf("classify(%T %v) = %d, want %d", tc.err, tc.err, got, tc.want)
		}
	}
}
