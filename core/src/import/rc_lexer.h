#pragma once
// The words of a fetchmail run control file, as fetchmail's rcfile_l.l reads
// them: quoted strings (double or single quotes, C escapes), bare words
// ([^=;:, \t\r\n]+ outside quotes), '=' on its own, and '#' comments to the
// end of the line. ';' ',' and ':' only separate ("noise" in the man page).

#include <string>
#include <string_view>
#include <vector>

#include "mailporter/result.h"

namespace mailporter::import {

struct RcToken {
    enum class Kind { Word, String, Equals };
    Kind kind = Kind::Word;
    std::string text;  // a string's value with its escapes resolved
    int line = 0;
    bool is(std::string_view keyword) const;  // a bare word, ASCII case ignored
    bool number() const;                      // a bare word of digits (optional sign)
    // As written back into a message: strings quoted again.
    std::string shown() const;
};

// Errc::ConfigInvalid "line N: ..." for an unterminated string or a NUL byte.
Result<std::vector<RcToken>> lex_fetchmailrc(std::string_view text);

}  // namespace mailporter::import
