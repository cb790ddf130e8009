#include "report/html.h"


namespace pipe::report {

namespace {

const char* kStyle = R"css(
:root { --text: #222; --muted: #666; --line: #ddd; --band: #f6f7f9; --accent: #1f77b4;
        --good: #1a7f37; --bad: #c62828; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--text); background: #fff;
       font: 15px/1.5 "DejaVu Sans", -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; border-bottom: 1px solid var(--line); }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
.subtitle { color: var(--muted); margin: 0 0 12px; }
nav { margin: 0 0 16px; font-size: 14px; display: flex; flex-wrap: wrap; gap: 2px 16px; }
nav a { color: var(--accent); text-decoration: none; white-space: nowrap; }
nav a:hover { text-decoration: underline; }
p { margin: 8px 0; max-width: 90ch; }
.note { background: #fff6e5; border-left: 4px solid #f0a020; padding: 8px 12px; }
table { border-collapse: collapse; margin: 10px 0 16px; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid #bbb; background: var(--band); position: sticky; top: 0; }
tbody tr:nth-child(even) td { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.good { color: var(--good); } td.bad { color: var(--bad); } td.muted { color: var(--muted); }
td.strong { font-weight: bold; }
table.kv th { background: none; font-weight: normal; color: var(--muted); border-bottom: 1px solid var(--line); }
.table-wrap { max-height: 640px; overflow: auto; display: inline-block; max-width: 100%; }
figure { margin: 12px 0 24px; }
figure .scroll { overflow-x: auto; max-width: 100%; }
figure svg, figure img { display: block; max-width: none; height: auto; }
figcaption, .caption { color: var(--muted); font-size: 13px; margin-top: 4px; }
footer { color: var(--muted); font-size: 12px; padding: 24px; border-top: 1px solid var(--line); margin-top: 40px; }
)css";

const char* tone_class(Tone tone) {
  switch (tone) {
    case Tone::kGood: return " good";
    case Tone::kBad: return " bad";
    case Tone::kMuted: return " muted";
    case Tone::kStrong: return " strong";
    case Tone::kPlain: return "";
  }
  return "";
}

std::string table_html(const DataTable& t) {
  std::vector<bool> numeric(t.header.size(), false);
  for (const auto& r : t.rows)
    for (size_t c = 0; c < r.size() && c < numeric.size(); ++c)
      if (r[c].numeric) numeric[c] = true;
  std::string out = "<div class=\"table-wrap\"><table class=\"data\"><thead><tr>";
  for (size_t c = 0; c < t.header.size(); ++c)
    out += std::string("<th") + (numeric[c] ? " class=\"num\"" : "") + ">" + html_escape(t.header[c]) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& r : t.rows) {
    out += "<tr>";
    for (size_t c = 0; c < t.header.size(); ++c) {
      const Cell* cell = c < r.size() ? &r[c] : nullptr;
      std::string cls = std::string(cell && cell->numeric ? "num" : "") + (cell ? tone_class(cell->tone) : "");
      if (!cls.empty() && cls[0] == ' ') cls.erase(0, 1);
      out += "<td" + (cls.empty() ? std::string() : " class=\"" + cls + "\"") + ">" +
             (cell ? html_escape(cell->text) : "") + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

std::string block_html(const Block& b, const std::string& section_id, int index) {
  switch (b.kind) {
    case Block::Kind::kText: return "<p>" + html_escape(b.text) + "</p>\n";
    case Block::Kind::kNote: return "<p class=\"note\">" + html_escape(b.text) + "</p>\n";
    case Block::Kind::kKeyValues: {
      std::string out = "<table class=\"kv\"><tbody>\n";
      for (const auto& [k, v] : b.pairs) out += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>\n";
      return out + "</tbody></table>\n";
    }
    case Block::Kind::kTable: {
      std::string out = b.text.empty() ? "" : "<p class=\"caption\">" + html_escape(b.text) + "</p>\n";
      return out + table_html(b.table);
    }
    case Block::Kind::kFigure: {
      std::string id = "fig-" + (b.name.empty() ? section_id + "-" + std::to_string(index) : b.name);
      std::string out = "<figure id=\"" + html_escape(id) + "\"><div class=\"scroll\">" +
                        inline_svg(b.figure.svg(), id + "-") + "</div>";
      if (!b.text.empty()) out += "<figcaption>" + html_escape(b.text) + "</figcaption>";
      return out + "</figure>\n";
    }
    case Block::Kind::kImage: {
      Figure f = image_figure(b.image);
      std::string out = "<figure><img alt=\"" + html_escape(b.text) + "\" width=\"" +
                        std::to_string(static_cast<int>(f.width())) + "\" height=\"" +
                        std::to_string(static_cast<int>(f.height())) + "\" src=\"data:image/png;base64," +
                        base64(f.png()) + "\">";
      if (!b.text.empty()) out += "<figcaption>" + html_escape(b.text) + "</figcaption>";
      return out + "</figure>\n";
    }
  }
  return "";
}

std::string replace_all(const std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  size_t pos = 0;
  for (size_t hit; (hit = s.find(from, pos)) != std::string::npos; pos = hit + from.size())
    out.append(s, pos, hit - pos).append(to);
  return out.append(s, pos, std::string::npos);
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                 static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string inline_svg(const std::string& svg, const std::string& prefix) {
  std::string s = svg;
  if (s.rfind("<?xml", 0) == 0) s.erase(0, s.find("?>") + 2);
  while (!s.empty() && (s[0] == '\n' || s[0] == '\r')) s.erase(0, 1);
  // Cairo names glyphs, clips, images and patterns with ids that every
  // document repeats; on one page they would resolve to the first SVG's.
  s = replace_all(s, " id=\"", " id=\"" + prefix);
  s = replace_all(s, "href=\"#", "href=\"#" + prefix);  // href and xlink:href
  return replace_all(s, "url(#", "url(#" + prefix);
}

std::string html_document(const Report& r) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                    html_escape(r.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<header>\n<h1>" +
                    html_escape(r.title) + "</h1>\n";
  if (!r.subtitle.empty()) out += "<p class=\"subtitle\">" + html_escape(r.subtitle) + "</p>\n";
  out += "<nav>";
  for (const auto& s : r.sections) out += "<a href=\"#" + html_escape(s.id) + "\">" + html_escape(s.title) + "</a>";
  out += "</nav>\n</header>\n<main>\n";
  for (const auto& s : r.sections) {
    out += "<section id=\"" + html_escape(s.id) + "\">\n<h2>" + html_escape(s.title) + "</h2>\n";
    for (size_t i = 0; i < s.blocks.size(); ++i) out += block_html(s.blocks[i], s.id, static_cast<int>(i));
    out += "</section>\n";
  }
  out += "</main>\n<footer>Generated by pipe. Figures are inline SVG; the report needs no other files.</footer>\n"
         "</body>\n</html>\n";
  return out;
}

std::string html_with_note(const std::string& html, const std::string& note) {
  std::string block = "<p class=\"note\">" + html_escape(note) + "</p>\n";
  size_t at = html.find("<main>\n");
  if (at == std::string::npos) return block + html;
  return html.substr(0, at + 7) + block + html.substr(at + 7);
}

}  // namespace pipe::report
