// Package runfolder guards a run's output folder: one process at a time holds
// it (an OS file lock, so a killed process releases it), files are replaced
// atomically, and the temporary files of a write that was killed are removed
// the next time a run takes the folder.
package runfolder
