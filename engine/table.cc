#include "engine/table.h"

#include <cmath>
#include <cstdio>

#include "engine/csv.h"

namespace pipe {

namespace {

size_t visible_width(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033') {  // skip an ANSI escape sequence
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;  // count UTF-8 lead bytes
  }
  return n;
}

bool looks_numeric(const std::string& s) {
  if (s.empty() || s == "-") return false;
  size_t digits = 0;
  for (char c : s) {
    if (c >= '0' && c <= '9')
      ++digits;
    else if (c != '.' && c != '-' && c != '+' && c != '%' && c != 'e' && c != 'x' && c != 's')
      return false;
  }
  return digits > 0;
}

}  // namespace

std::string Table::text() const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = visible_width(header_[c]);
  for (const auto& row : rows_)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], visible_width(row[c]));
  auto render = [&](const std::vector<std::string>& row, bool is_header) {
    std::string line;
    for (size_t c = 0; c < header_.size(); ++c) {
      std::string cell = c < row.size() ? row[c] : "";
      std::string pad(width[c] - visible_width(cell), ' ');
      bool right = !is_header && c > 0 && looks_numeric(cell);
      std::string piece = right ? pad + cell : cell + (c + 1 < header_.size() ? pad : "");
      line += (c ? "  " : "") + piece;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  std::string out = render(header_, true);
  for (const auto& row : rows_) out += render(row, false);
  return out;
}

std::string Table::markdown() const {
  auto render = [&](const std::vector<std::string>& row) {
    std::string line = "|";
    for (size_t c = 0; c < header_.size(); ++c) {
      std::string cell = c < row.size() ? row[c] : "";
      std::string escaped;
      for (char ch : cell) escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
      line += " " + escaped + " |";
    }
    return line + "\n";
  };
  std::string out = render(header_) + "|";
  for (size_t c = 0; c < header_.size(); ++c) out += c == 0 ? "---|" : "---:|";
  out += "\n";
  for (const auto& row : rows_) out += render(row);
  return out;
}

std::string Table::csv() const {
  auto render = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t c = 0; c < header_.size(); ++c)
      line += (c ? "," : "") + csv_field(c < row.size() ? row[c] : "");
    return line + "\n";
  };
  std::string out = render(header_);
  for (const auto& row : rows_) out += render(row);
  return out;
}

std::string fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

}  // namespace pipe
