// Table — rows of cells rendered for a terminal (aligned), Markdown or CSV.
#pragma once

#include <string>
#include <vector>

namespace pipe {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }

  // Columns padded to their widest cell; cells that look numeric are
  // right-aligned.  ANSI colour codes in cells do not count towards width.
  std::string text() const;
  std::string markdown() const;
  std::string csv() const;  // RFC 4180 quoting

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// "0.9512" style fixed formatting used by every table; "-" for NaN.
std::string fixed(double value, int decimals = 4);

}  // namespace pipe
