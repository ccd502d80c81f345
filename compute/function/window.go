package function

import (
	"strings"

	"github.com/doricdb/doric/compute/types"
)

// windowOnly are the functions that exist only with OVER (...): ranking and navigation.
var windowOnly = map[string]bool{
	"row_number": true, "rank": true, "dense_rank": true, "ntile": true,
	"lag": true, "lead": true, "first_value": true, "last_value": true,
}

// windowAggregates are the aggregates compute/exec evaluates over a window frame.
var windowAggregates = map[string]bool{"count": true, "sum": true, "avg": true, "min": true, "max": true}

// IsWindow reports whether name (any case) is a window-only function: row_number, rank,
// dense_rank, ntile, lag, lead, first_value, last_value. They are not in Lookup: a call of one
// without OVER is an error the binder reports.
func IsWindow(name string) bool { return windowOnly[strings.ToLower(name)] }

// ResolveWindow resolves name(args) OVER (...): a window-only function or one of the aggregates
// count, sum, avg, min and max (any alias Lookup knows). Result types, as Doris:
//   - row_number(), rank(), dense_rank(), ntile(n): BIGINT, never NULL; ntile's n is BIGINT.
//   - lag(x[, offset[, default]]), lead(...): the common type of x and default (x's type without
//     one); offset is BIGINT; NULL when the offset row is outside the partition and no default
//     is given (so always nullable).
//   - first_value(x), last_value(x): x's type, nullable (a frame may be empty).
//   - aggregates: as ResolveAggregate.
//
// Constant-ness of ntile's and lag/lead's offset arguments is the caller's to check.
func ResolveWindow(name string, args []Arg) (Signature, error) {
	lower := strings.ToLower(name)
	if !windowOnly[lower] {
		canon, kind, ok := Lookup(name)
		if !ok || kind != Aggregate {
			return Signature{}, &Error{Name: name, Args: typesOf(args), Unknown: true}
		}
		if !windowAggregates[canon] {
			return Signature{}, &Error{Name: name, Args: typesOf(args), Msg: "is not supported as a window function"}
		}
		return ResolveAggregate(canon, args)
	}
	r := resolver{name: name, canon: lower, args: args}
	switch lower {
	case "row_number", "rank", "dense_rank":
		if err := r.arity(0, 0); err != nil {
			return Signature{}, err
		}
		return Signature{Name: lower, Args: []types.T{}, Result: tBigInt}, nil
	case "ntile":
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		if !args[0].Type.IsInteger() && args[0].Type.Kind != types.Null {
			return r.fail("expects an integer number of buckets")
		}
		return Signature{Name: lower, Args: []types.T{tBigInt}, Result: tBigInt}, nil
	case "lag", "lead":
		if err := r.arity(1, 3); err != nil {
			return Signature{}, err
		}
		res := nonNull(args[0].Type)
		if len(args) == 3 && args[2].Type.Kind != types.Null {
			if args[0].Type.Kind == types.Null {
				res = args[2].Type
			} else {
				t, err := ResultType(args[0].Type, args[2].Type)
				if err != nil {
					return r.fail("the default does not fit the value: %v", err)
				}
				res = t
			}
		}
		ps := []types.T{res}
		if len(args) >= 2 {
			if !args[1].Type.IsInteger() {
				return r.fail("expects an integer offset")
			}
			ps = append(ps, tBigInt)
		}
		if len(args) == 3 {
			ps = append(ps, res)
		}
		return Signature{Name: lower, Args: ps, Result: res, Nullable: true}, nil
	default: // first_value, last_value
		if err := r.arity(1, 1); err != nil {
			return Signature{}, err
		}
		t := nonNull(args[0].Type)
		return Signature{Name: lower, Args: []types.T{t}, Result: t, Nullable: true}, nil
	}
}
