// DataTable — a table of typed cells (text plus a JSON value and a tone)
// rendered as aligned terminal text (ANSI colour only when asked, i.e. when
// stdout is a terminal), Markdown, CSV or JSON.  Used by `pipe compare` and
// by the tables of a report.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipe::report {

enum class Tone { kPlain, kGood, kBad, kMuted, kStrong };

struct Cell {
  std::string text;
  nlohmann::json value;  // for csv/json: a number, string or null; null text cells use `text`
  Tone tone = Tone::kPlain;
  bool numeric = false;  // right-aligned

  Cell() = default;
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: plain text converts
  Cell(const char* t) : text(t) {}              // NOLINT

  // A number with fixed decimals; NaN shows "—" and is null in JSON.
  static Cell number(double v, int decimals = 4);
  static Cell integer(long long v);
  // A signed difference, "+0.0123"; good or bad tone by direction when
  // |d| is above `noise`.  higher_is_better = false for losses and times.
  static Cell delta(double d, int decimals = 4, bool higher_is_better = true, double noise = 0);
  // "0.9512 ± 0.0031" (just the mean when std is NaN); value {"mean","std","n"}.
  static Cell mean_std(double mean, double std, int n, int decimals = 4);
};

struct DataTable {
  std::vector<std::string> header;
  std::vector<std::vector<Cell>> rows;
  void add(std::vector<Cell> row) { rows.push_back(std::move(row)); }
  bool empty() const { return rows.empty(); }
};

enum class TableFormat { kText, kMarkdown, kCsv, kJson };

// "table" | "md" | "csv" | "json" (also "markdown", "text"); ConfigError otherwise.
TableFormat parse_table_format(const std::string& name);

std::string render_table(const DataTable& table, TableFormat format, bool color = false);
std::string render_text(const DataTable& table, bool color);
std::string render_markdown(const DataTable& table);
std::string render_csv(const DataTable& table);
// An array of objects keyed by the header.
nlohmann::json table_json(const DataTable& table);

bool stdout_is_terminal();
// Display width of UTF-8 text in a monospace terminal (code points; ANSI escapes excluded).
size_t display_width(const std::string& text);

}  // namespace pipe::report
