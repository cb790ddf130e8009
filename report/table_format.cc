#include "engine/posix.h"  // first: <unistd.h> declares ::pipe
#include "report/table_format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "engine/csv.h"
#include "engine/error.h"
#include "report/figure.h"

namespace pipe::report {

namespace {

const char* kDash = "\xe2\x80\x94";  // —

const char* ansi(Tone tone) {
  switch (tone) {
    case Tone::kGood: return "\x1b[32m";
    case Tone::kBad: return "\x1b[31m";
    case Tone::kMuted: return "\x1b[2m";
    case Tone::kStrong: return "\x1b[1m";
    case Tone::kPlain: return "";
  }
  return "";
}

std::string escape_markdown(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out;
}

// The cell's value for csv/json: its JSON value, else its text.
nlohmann::json cell_value(const Cell& c) {
  if (!c.value.is_null() || c.text == kDash) return c.value;
  return c.text;
}

// Up to 10 significant digits, no trailing zeros: csv keeps the precision the table rounds away.
std::string shortest(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

}  // namespace

Cell Cell::number(double v, int decimals) {
  Cell c;
  c.numeric = true;
  if (!std::isfinite(v)) {
    c.text = kDash;
    return c;
  }
  c.text = format_number(v, decimals);
  c.value = v;
  return c;
}

Cell Cell::integer(long long v) {
  Cell c;
  c.numeric = true;
  c.text = std::to_string(v);
  c.value = v;
  return c;
}

Cell Cell::delta(double d, int decimals, bool higher_is_better, double noise) {
  Cell c = number(d, decimals);
  if (!std::isfinite(d)) return c;
  if (d > 0 && c.text.find_first_not_of("0.") != std::string::npos) c.text = "+" + c.text;
  if (std::fabs(d) > noise && c.text.find_first_of("123456789") != std::string::npos)
    c.tone = (d > 0) == higher_is_better ? Tone::kGood : Tone::kBad;
  return c;
}

Cell Cell::mean_std(double mean, double std, int n, int decimals) {
  Cell c = number(mean, decimals);
  if (std::isfinite(mean) && std::isfinite(std)) c.text += " \xc2\xb1 " + format_number(std, decimals);
  c.value = {{"mean", std::isfinite(mean) ? nlohmann::json(mean) : nlohmann::json()},
             {"std", std::isfinite(std) ? nlohmann::json(std) : nlohmann::json()},
             {"n", n}};
  return c;
}

TableFormat parse_table_format(const std::string& name) {
  if (name == "table" || name == "text") return TableFormat::kText;
  if (name == "md" || name == "markdown") return TableFormat::kMarkdown;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  throw ConfigError("unknown format '" + name + "'").at("--format").hint("allowed: table, md, csv, json");
}

size_t display_width(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == 0x1b) {  // skip an ANSI escape up to its final letter
      while (i < s.size() && !std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
      continue;
    }
    if ((c & 0xc0) != 0x80) ++w;
  }
  return w;
}

std::string render_text(const DataTable& t, bool color) {
  size_t cols = t.header.size();
  for (const auto& r : t.rows) cols = std::max(cols, r.size());
  std::vector<size_t> width(cols, 0);
  std::vector<bool> right(cols, false);
  for (size_t c = 0; c < t.header.size(); ++c) width[c] = display_width(t.header[c]);
  for (const auto& r : t.rows)
    for (size_t c = 0; c < r.size(); ++c) {
      width[c] = std::max(width[c], display_width(r[c].text));
      if (r[c].numeric) right[c] = true;
    }
  auto pad = [&](const std::string& s, size_t c, Tone tone) {
    size_t fill = width[c] - std::min(width[c], display_width(s));
    std::string body = color && tone != Tone::kPlain ? ansi(tone) + s + "\x1b[0m" : s;
    return right[c] ? std::string(fill, ' ') + body : body + std::string(fill, ' ');
  };
  std::string out;
  auto finish_line = [&](std::string line) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  std::string line;
  for (size_t c = 0; c < cols; ++c)
    line += (c ? "  " : "") + pad(c < t.header.size() ? t.header[c] : "", c, color ? Tone::kStrong : Tone::kPlain);
  finish_line(line);
  line.clear();
  for (size_t c = 0; c < cols; ++c) line += (c ? "  " : "") + std::string(width[c], '-');
  finish_line(line);
  for (const auto& r : t.rows) {
    line.clear();
    for (size_t c = 0; c < cols; ++c)
      line += (c ? "  " : "") + (c < r.size() ? pad(r[c].text, c, r[c].tone) : std::string(width[c], ' '));
    finish_line(line);
  }
  return out;
}

std::string render_markdown(const DataTable& t) {
  size_t cols = t.header.size();
  std::vector<bool> right(cols, false);
  for (const auto& r : t.rows)
    for (size_t c = 0; c < r.size() && c < cols; ++c)
      if (r[c].numeric) right[c] = true;
  std::string out = "|";
  for (const auto& h : t.header) out += " " + escape_markdown(h) + " |";
  out += "\n|";
  for (size_t c = 0; c < cols; ++c) out += right[c] ? " ---: |" : " --- |";
  out += "\n";
  for (const auto& r : t.rows) {
    out += "|";
    for (size_t c = 0; c < cols; ++c) out += " " + (c < r.size() ? escape_markdown(r[c].text) : "") + " |";
    out += "\n";
  }
  return out;
}

std::string render_csv(const DataTable& t) {
  std::string out;
  for (size_t c = 0; c < t.header.size(); ++c) out += (c ? "," : "") + csv_field(t.header[c]);
  out += "\n";
  for (const auto& r : t.rows) {
    for (size_t c = 0; c < t.header.size(); ++c) {
      if (c) out += ",";
      if (c >= r.size()) continue;
      nlohmann::json v = cell_value(r[c]);
      if (v.is_null()) continue;
      if (v.is_number_float()) out += shortest(v.get<double>());
      else if (v.is_number() || v.is_boolean()) out += v.dump();
      else if (v.is_string()) out += csv_field(v.get<std::string>());
      else out += csv_field(r[c].text);  // structured values: their text
    }
    out += "\n";
  }
  return out;
}

nlohmann::json table_json(const DataTable& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : t.rows) {
    nlohmann::json o = nlohmann::json::object();
    for (size_t c = 0; c < t.header.size(); ++c) o[t.header[c]] = c < r.size() ? cell_value(r[c]) : nlohmann::json();
    rows.push_back(o);
  }
  return rows;
}

std::string render_table(const DataTable& t, TableFormat format, bool color) {
  switch (format) {
    case TableFormat::kText: return render_text(t, color);
    case TableFormat::kMarkdown: return render_markdown(t);
    case TableFormat::kCsv: return render_csv(t);
    case TableFormat::kJson: return table_json(t).dump(2) + "\n";
  }
  return "";
}

bool stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }

}  // namespace pipe::report
