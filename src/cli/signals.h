// Termination signals for long-running verbs. BlockTerminationSignals() must run first in
// main, before any thread starts, so that every thread inherits the mask and SIGINT/SIGTERM
// are only ever taken by WaitForTermination on the main thread.
#pragma once

#include <cstdint>

namespace strata {

void BlockTerminationSignals();
// Waits up to `timeout_ns` for SIGINT or SIGTERM; returns the signal number, or 0 on timeout.
int WaitForTermination(int64_t timeout_ns);
// Restores the default mask (in a child process before exec).
void UnblockAllSignals();

}  // namespace strata
