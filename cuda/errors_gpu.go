//go:build gpu

package cuda

/*
#include <cuda.h>

static const char* descent_cu_error_name(int code) {
	const char* name = 0;
	if (cuGetErrorName((CUresult)code, &name) != CUDA_SUCCESS || name == 0) {
		return "CUDA_ERROR_UNKNOWN_CODE";
	}
	return name;
}
*/
import "C"

import (
	"fmt"
	"reflect"
)

// Error is a failed driver call: the operation and the CUDA error name, e.g.
// "cuda: cuMemAlloc(1073741824 bytes): CUDA_ERROR_OUT_OF_MEMORY (2)".
type Error struct {
	Op   string
	Code int
	Name string
}

func (e *Error) Error() string { return fmt.Sprintf("cuda: %s: %s (%d)", e.Op, e.Name, e.Code) }

// driverError builds the Error for a CUresult.
func driverError(op string, code int) error {
	if code == 0 {
		return nil
	}
	return &Error{Op: op, Code: code, Name: C.GoString(C.descent_cu_error_name(C.int(code)))}
}

// check converts an error returned by gorgonia.org/cu — its CUresult type is
// unexported but is an integer kind — into an Error naming the operation.
func check(op string, err error) error {
	if err == nil {
		return nil
	}
	if v := reflect.ValueOf(err); v.Kind() == reflect.Int {
		return driverError(op, int(v.Int()))
	}
	return fmt.Errorf("cuda: %s: %w", op, err)
}
