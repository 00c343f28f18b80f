// Package param holds what an optimizer works on: a model's named parameters
// (Param, with their values and gradients as Buffers) and, for a device that
// keeps them, the update an optimizer asks it to run (UpdatePlan, Updater) and
// the moving average it may keep of them (Averager).
// It is a leaf that package graph re-exports, so that package solvers
// depends on it alone and on no device code.
package param
