package expr

import (
	"errors"
	"fmt"
	"strings"

	"github.com/doricdb/doric/compute/types"
)

var (
	// ErrBadPlan classifies expressions that cannot be compiled: the plan is malformed or asks for
	// something this engine does not implement.
	ErrBadPlan = errors.New("invalid expression")
	// ErrOutOfRange classifies arithmetic overflow; the error text names the type, as MySQL does.
	ErrOutOfRange = errors.New("value is out of range")
	// ErrInvalidArgument classifies a function argument no value can be computed for and that
	// Doris reports as an error (an invalid regular expression, a string result too long).
	ErrInvalidArgument = errors.New("invalid argument")
)

// RangeError is an arithmetic overflow into Type.
type RangeError struct{ Type types.T }

func (e *RangeError) Error() string {
	name := strings.ToUpper(e.Type.String())
	if e.Type.Kind == types.Decimal {
		name = "DECIMAL"
	}
	return name + " value is out of range"
}

func (e *RangeError) Is(target error) bool { return target == ErrOutOfRange }

func outOfRange(t types.T) error { return &RangeError{Type: t} }

func badPlan(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPlan, fmt.Sprintf(format, args...))
}
