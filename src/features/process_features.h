// Process features: statistics of a scalar signal's readings in a window. Pure functions,
// thread-safe. Every function returns NaN when it has no data to work on (documented per
// function); values are in the signal's unit unless said otherwise.
#pragma once

#include <span>

#include "features/window.h"

namespace strata::features {

double Mean(std::span<const ScalarSample> x);  // NaN when empty
// Population standard deviation: sqrt(sum (x - mean)^2 / n). NaN when empty.
double StdDev(std::span<const ScalarSample> x);
double Min(std::span<const ScalarSample> x);  // NaN when empty
double Max(std::span<const ScalarSample> x);  // NaN when empty
// Least-squares slope of value against time, in unit per second. NaN with fewer than two
// distinct timestamps.
double Slope(std::span<const ScalarSample> x);
// The value with the latest timestamp (the highest seq among equal ones): x is ordered by
// (ts, seq), as windows hand it out. NaN when empty.
double Last(std::span<const ScalarSample> x);

}  // namespace strata::features
