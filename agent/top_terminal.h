#pragma once
// TopTerminal: the full-screen terminal `logship top` draws on, with ANSI escape sequences
// (no curses: five sequences do). While it lives, the alternate screen is on, the cursor
// hidden and, when the input is a terminal, it is in raw mode (keys arrive one by one,
// unechoed; Ctrl-C still raises SIGINT, which the caller turns into a clean exit). The
// destructor restores all of it, so every way out that unwinds leaves the shell as it was.
// Owner: the top command. Thread: the main thread.

#include <termios.h>

#include <cstddef>
#include <string>
#include <vector>

namespace logship {

class TopTerminal {
 public:
  TopTerminal(int in_fd, int out_fd);
  ~TopTerminal();
  TopTerminal(const TopTerminal&) = delete;
  TopTerminal& operator=(const TopTerminal&) = delete;

  // Columns and rows now (80x24 when the terminal does not say).
  size_t width() const;
  size_t height() const;
  // Redraws in place: each line overwrites the one on screen, the rest is erased.
  void draw(const std::vector<std::string>& lines);
  // Whether keys can be read from the input (it is a terminal in raw mode).
  bool has_keys() const { return raw_; }

 private:
  void write_all(const std::string& text) const;

  int in_fd_;
  int out_fd_;
  bool raw_ = false;
  termios saved_{};
};

}  // namespace logship
