package function

import (
	"testing"

	"github.com/doricdb/doric/compute/types"
)

func TestResolveWindow(t *testing.T) {
	i := types.New(types.Int)
	dec := types.DecimalOf(10, 2)
	for _, tc := range []struct {
		name   string
		args   []types.T
		result types.T
		params []types.T
		null   bool
	}{
		{"ROW_NUMBER", nil, tBigInt, []types.T{}, false},
		{"rank", nil, tBigInt, []types.T{}, false},
		{"dense_rank", nil, tBigInt, []types.T{}, false},
		{"ntile", []types.T{tTinyInt}, tBigInt, []types.T{tBigInt}, false},
		{"lag", []types.T{dec}, dec, []types.T{dec}, true},
		{"lead", []types.T{i, tTinyInt, dec}, types.DecimalOf(12, 2), []types.T{types.DecimalOf(12, 2), tBigInt, types.DecimalOf(12, 2)}, true},
		{"first_value", []types.T{tString}, tString, []types.T{tString}, true},
		{"last_value", []types.T{i}, i, []types.T{i}, true},
		{"sum", []types.T{i}, tBigInt, []types.T{tBigInt}, true},
		{"count", nil, tBigInt, []types.T{}, false},
	} {
		args := make([]Arg, len(tc.args))
		for k, a := range tc.args {
			args[k] = Arg{Type: a, Nullable: true}
		}
		sig, err := ResolveWindow(tc.name, args)
		if err != nil {
			t.Errorf("%s%v: %v", tc.name, tc.args, err)
			continue
		}
		if sig.Result != tc.result || sig.Nullable != tc.null || len(sig.Args) != len(tc.params) {
			t.Errorf("%s%v = %v %v nullable=%v, want %v %v nullable=%v", tc.name, tc.args, sig.Result, sig.Args, sig.Nullable, tc.result, tc.params, tc.null)
			continue
		}
		for k := range tc.params {
			if sig.Args[k] != tc.params[k] {
				t.Errorf("%s%v: arg %d is %v, want %v", tc.name, tc.args, k, sig.Args[k], tc.params[k])
			}
		}
	}
	for _, bad := range []struct {
		name string
		args []types.T
	}{
		{"row_number", []types.T{i}}, {"ntile", []types.T{tString}}, {"lag", nil},
		{"lag", []types.T{i, tString}}, {"group_concat", []types.T{tString}}, {"nope", nil},
		{"upper", []types.T{tString}},
	} {
		args := make([]Arg, len(bad.args))
		for k, a := range bad.args {
			args[k] = Arg{Type: a}
		}
		if sig, err := ResolveWindow(bad.name, args); err == nil {
			t.Errorf("%s%v resolved to %v, want an error", bad.name, bad.args, sig)
		}
	}
	if !IsWindow("Row_Number") || IsWindow("sum") {
		t.Error("IsWindow")
	}
}
