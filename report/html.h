// The self-contained HTML rendering of a Report: embedded CSS, figures as
// inline SVG (element ids prefixed per figure so that several SVGs can share
// one page), plain images as data: URIs of base64 PNG.  No scripts, no
// external files: it opens in any browser without a server.
#pragma once

#include <string>

#include "report/document.h"

namespace pipe::report {

std::string html_document(const Report& report);
// An html_document() with `note` shown first, above the sections.
std::string html_with_note(const std::string& html, const std::string& note);

// An SVG document ready to sit inside HTML: no XML declaration, every id and
// reference to it prefixed with `prefix`.
std::string inline_svg(const std::string& svg, const std::string& prefix);
std::string base64(const std::string& bytes);
std::string html_escape(const std::string& text);

}  // namespace pipe::report
