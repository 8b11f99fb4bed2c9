// PLACEHOLDER — being written.
#include "sim/machine.h"
