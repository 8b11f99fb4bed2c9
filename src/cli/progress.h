// ProgressBar: a one-line bar on a terminal, plain lines elsewhere (logs, pipes, tests).
//
//   on a TTY:   training  [##########..........]  50/100
//   otherwise:  training: 10/100, 20/100, ... one line per tenth
//
// Not thread-safe: one thread updates one bar.
#pragma once

#include <cstdio>
#include <string>

namespace strata {

class ProgressBar {
 public:
  ProgressBar(std::string label, std::FILE* out = stdout);
  // Shows `done` of `total` (call with done == total once at the end).
  void Update(long done, long total);

 private:
  std::string label_;
  std::FILE* out_;
  bool tty_;
  long last_tenth_ = -1;
  bool finished_ = false;
};

}  // namespace strata
