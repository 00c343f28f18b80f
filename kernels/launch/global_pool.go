package launch

import "github.com/descent-ml/descent/cuda"

// Global average pooling (global_pool.cu) over planes of hw elements.

func GlobalAvgPoolForward(planes, hw int, x, y cuda.Ptr) cuda.Launch {
	return elementwise("GlobalAvgPoolForward", planes, i(planes), i(hw), p(x), p(y))
}
func GlobalAvgPoolBackward(planes, hw int, dy, dx cuda.Ptr) cuda.Launch {
	return elementwise("GlobalAvgPoolBackward", planes*hw, i(planes), i(hw), p(dy), p(dx))
}
