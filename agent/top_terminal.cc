#include "agent/top_terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace logship {
namespace {

constexpr const char* kEnter = "\x1b[?1049h\x1b[?25l";  // alternate screen on, cursor hidden
constexpr const char* kLeave = "\x1b[?25h\x1b[?1049l";  // cursor shown, main screen back
constexpr const char* kHome = "\x1b[H";
constexpr const char* kEraseLine = "\x1b[K";
constexpr const char* kEraseBelow = "\x1b[J";

winsize window_size(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0 || size.ws_row == 0) {
    size.ws_col = 80;
    size.ws_row = 24;
  }
  return size;
}

}  // namespace

TopTerminal::TopTerminal(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {
  if (::isatty(in_fd_) && ::tcgetattr(in_fd_, &saved_) == 0) {
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    raw_ = ::tcsetattr(in_fd_, TCSANOW, &raw) == 0;
  }
  write_all(kEnter);
}

TopTerminal::~TopTerminal() {
  write_all(kLeave);
  if (raw_) ::tcsetattr(in_fd_, TCSANOW, &saved_);
}

size_t TopTerminal::width() const { return window_size(out_fd_).ws_col; }

size_t TopTerminal::height() const { return window_size(out_fd_).ws_row; }

void TopTerminal::draw(const std::vector<std::string>& lines) {
  std::string frame = kHome;
  for (size_t i = 0; i < lines.size(); ++i) {
    frame += lines[i];
    frame += kEraseLine;
    // No newline after the last row: on a full screen it would scroll the first away.
    if (i + 1 < lines.size()) frame += "\r\n";
  }
  frame += kEraseBelow;
  write_all(frame);
}

void TopTerminal::write_all(const std::string& text) const {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t wrote = ::write(out_fd_, text.data() + done, text.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;  // the terminal is gone: nothing left to draw on
    done += static_cast<size_t>(wrote);
  }
}

}  // namespace logship
