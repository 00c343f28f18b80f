//go:build gpu

package ptx

import _ "embed"

// Module is the PTX text of every kernel of kernels/*.cu.
//
//go:embed descent.ptx
var Module string
