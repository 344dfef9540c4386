using System.Globalization;

namespace Certify.Spec;

/// <summary>Kinds of SMT-LIB tokens the VNNLIB reader distinguishes.</summary>
internal enum VnnTokenKind { LParen, RParen, Atom, End }

/// <summary>
/// Streaming SMT-LIB tokenizer over a <see cref="TextReader"/>. It reads through a fixed buffer and keeps the current
/// atom's characters in a reusable array, so a 70 MB property file costs no more memory than its parsed content:
/// no whole-file string, no regex, no string per token (atoms are compared and parsed as spans).
/// </summary>
internal sealed class VnnLibTokenizer
{
    readonly TextReader _reader;
    readonly string _file;
    readonly char[] _buf = new char[1 << 16];
    int _bufLen, _bufPos;
    int _line = 1, _col = 1;          // position of the next unread character
    char[] _atom = new char[64];
    int _atomLen;

    public VnnLibTokenizer(TextReader reader, string file)
    {
        _reader = reader;
        _file = file;
    }

    /// <summary>Kind of the current token.</summary>
    public VnnTokenKind Kind { get; private set; }
    /// <summary>1-based line where the current token starts.</summary>
    public int Line { get; private set; }
    /// <summary>1-based column where the current token starts.</summary>
    public int Column { get; private set; }
    /// <summary>Characters of the current atom (empty for parentheses and the end).</summary>
    public ReadOnlySpan<char> Text => _atom.AsSpan(0, _atomLen);

    /// <summary>The current token for messages: the atom text, "(", ")" or "end of file".</summary>
    public string Describe() => Kind switch
    {
        VnnTokenKind.LParen => "'('",
        VnnTokenKind.RParen => "')'",
        VnnTokenKind.End => "end of file",
        _ => "'" + (_atomLen > 60 ? new string(_atom, 0, 60) + "..." : new string(_atom, 0, _atomLen)) + "'",
    };

    /// <summary>An error at the current token.</summary>
    public VnnLibException Error(string problem) => new(_file, Line, Column, problem);

    /// <summary>An error at a remembered position.</summary>
    public VnnLibException Error(int line, int column, string problem) => new(_file, line, column, problem);

    int Peek()
    {
        if (_bufPos == _bufLen)
        {
            _bufLen = _reader.Read(_buf, 0, _buf.Length);
            _bufPos = 0;
            if (_bufLen <= 0) { _bufLen = 0; return -1; }
        }
        return _buf[_bufPos];
    }

    void Advance()
    {
        char c = _buf[_bufPos++];
        if (c == '\n') { _line++; _col = 1; }
        else if (c == '\r' && Peek() != '\n') { _line++; _col = 1; }   // a lone CR ends a line too (old Mac line endings)
        else _col++;
    }

    /// <summary>Longest atom (number, name, quoted string) accepted: a longer one is not VNNLIB, and would otherwise grow without limit.</summary>
    public const int MaxAtomLength = 1 << 16;

    void AppendAtom(char c)
    {
        if (_atomLen == MaxAtomLength) throw Error($"a token longer than {MaxAtomLength:N0} characters starts here; this is not a VNNLIB property");
        if (_atomLen == _atom.Length) Array.Resize(ref _atom, _atom.Length * 2);
        _atom[_atomLen++] = c;
    }

    /// <summary>Moves to the next token, skipping whitespace and <c>;</c> comments.</summary>
    public void Next()
    {
        _atomLen = 0;
        int c;
        while (true)
        {
            c = Peek();
            if (c == -1) { Line = _line; Column = _col; Kind = VnnTokenKind.End; return; }
            if (c == ';')
            {
                while ((c = Peek()) != -1 && c != '\n' && c != '\r') Advance();   // a comment ends at LF, CRLF or a lone CR
                continue;
            }
            if (char.IsWhiteSpace((char)c)) { Advance(); continue; }
            break;
        }
        Line = _line;
        Column = _col;
        // A control character outside a string is binary data (a compressed file without .gz, /dev/zero, a network file
        // given as the property): say so at once instead of reading on to the size limit.
        if (c < 0x20 || c == 0x7f) throw Error($"binary data (character 0x{c:X2}); this is not a VNNLIB text file{(c == 0x1f ? " (it looks gzip-compressed: name it .gz)" : "")}");
        if (c == '(') { Advance(); Kind = VnnTokenKind.LParen; return; }
        if (c == ')') { Advance(); Kind = VnnTokenKind.RParen; return; }
        Kind = VnnTokenKind.Atom;
        if (c == '|' || c == '"')
        {
            // Quoted symbol or string literal (only seen in set-info and the like): read to the closing delimiter.
            char close = (char)c;
            Advance();
            while (true)
            {
                c = Peek();
                if (c == -1) throw Error($"unterminated {(close == '|' ? "quoted symbol" : "string")} starting here");
                Advance();
                if (c == close)
                {
                    if (close == '"' && Peek() == '"') { Advance(); AppendAtom('"'); continue; } // "" escapes a quote
                    break;
                }
                AppendAtom((char)c);
            }
            return;
        }
        while ((c = Peek()) != -1 && c != '(' && c != ')' && c != ';' && !char.IsWhiteSpace((char)c))
        {
            if (c < 0x20 || c == 0x7f) throw Error(_line, _col, $"binary data (character 0x{c:X2}) inside a token; this is not a VNNLIB text file");
            AppendAtom((char)c);
            Advance();
        }
    }

    /// <summary>True when the current token is the atom <paramref name="word"/>.</summary>
    public bool IsAtom(string word) => Kind == VnnTokenKind.Atom && Text.SequenceEqual(word);

    /// <summary>Requires the current token to be of <paramref name="kind"/> and moves past it.</summary>
    public void Expect(VnnTokenKind kind, string what)
    {
        if (Kind != kind) throw Error($"expected {what} but found {Describe()}");
        Next();
    }

    /// <summary>
    /// Tries to read the current atom as an SMT-LIB / VNN-COMP number: integers, decimals, exponent forms
    /// (<c>1e-5</c>, <c>-1.5E3</c>) and a leading sign (<c>-3</c>, which SMT-LIB writes <c>(- 3)</c> but VNN-COMP files use).
    /// </summary>
    public bool TryNumber(out double value)
    {
        value = 0;
        var t = Text;
        if (Kind != VnnTokenKind.Atom || t.Length == 0) return false;
        int i = t[0] == '-' || t[0] == '+' ? 1 : 0;
        if (i >= t.Length) return false;
        if (!char.IsAsciiDigit(t[i]) && !(t[i] == '.' && i + 1 < t.Length && char.IsAsciiDigit(t[i + 1]))) return false;
        foreach (var ch in t)
            if (!char.IsAsciiDigit(ch) && ch != '.' && ch != 'e' && ch != 'E' && ch != '-' && ch != '+')
                throw Error($"malformed number {Describe()}");
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            throw Error($"malformed number {Describe()}");
        if (!double.IsFinite(value)) throw Error($"number {Describe()} is outside the range of double precision");
        return true;
    }
}
