#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

namespace strata {

ProgressBar::ProgressBar(std::string label, std::FILE* out)
    : label_(std::move(label)), out_(out), tty_(isatty(fileno(out)) == 1) {}

void ProgressBar::Update(long done, long total) {
  if (finished_ || total <= 0) return;
  const bool last = done >= total;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / total);
    fmt::print(out_, "\r{}  [{}{}]  {}/{}{}", label_, std::string(filled, '#'),
               std::string(kWidth - filled, '.'), done, total, last ? "\n" : "");
  } else {
    const long tenth = 10 * done / total;
    if (tenth == last_tenth_) return;
    last_tenth_ = tenth;
    fmt::print(out_, "{}: {}/{}\n", label_, done, total);
  }
  finished_ = last;
  std::fflush(out_);
}

}  // namespace strata
