using System.IO.Compression;

namespace Certify.Training.Reporting;

/// <summary>
/// A small, dependency-free bar chart written as PNG (RGB, zlib via <see cref="ZLibStream"/>): one bar per x label,
/// values in [0, 100] (percent), a value printed over each bar, a title and axis captions in a built-in 5×7 pixel font.
/// Enough for "certified accuracy against ε" without a plotting library or native graphics dependency.
/// </summary>
public sealed class PngBarChart(string title, string xCaption, string yCaption)
{
    readonly List<(string Label, double Value)> _bars = new();

    /// <summary>Adds a bar with x label <paramref name="label"/> and height <paramref name="percent"/> (clamped to [0, 100]).</summary>
    public PngBarChart Add(string label, double percent) { _bars.Add((label, Math.Clamp(percent, 0, 100))); return this; }

    const int Scale = 2;            // font pixels are drawn 2×2
    const int CharW = 6 * Scale;    // 5 columns + 1 spacing
    const int CharH = 8 * Scale;

    /// <summary>Renders the chart to an RGB pixel buffer and writes it to <paramref name="path"/> as PNG.</summary>
    public void Save(string path, int width = 720, int height = 420)
    {
        var img = new Raster(width, height);
        img.Fill(0, 0, width, height, 0xFFFFFF);
        int left = 70, right = 20, top = 50, bottom = 60;
        int plotW = width - left - right, plotH = height - top - bottom;
        img.Text(title, (width - title.Length * CharW) / 2, 15, 0x000000);
        // Y axis with gridlines every 20%.
        for (int p = 0; p <= 100; p += 20)
        {
            int y = top + plotH - p * plotH / 100;
            img.Fill(left, y, plotW, 1, p == 0 ? 0x000000 : 0xDDDDDD);
            var label = p.ToString();
            img.Text(label, left - 8 - label.Length * CharW, y - CharH / 2 + 2, 0x333333);
        }
        img.Fill(left, top, 1, plotH + 1, 0x000000);
        img.TextVertical(yCaption, 12, top + (plotH + yCaption.Length * CharW) / 2, 0x000000);
        img.Text(xCaption, left + (plotW - xCaption.Length * CharW) / 2, height - 22, 0x000000);
        if (_bars.Count > 0)
        {
            int slot = plotW / _bars.Count, barW = Math.Max(4, slot * 3 / 5);
            for (int i = 0; i < _bars.Count; i++)
            {
                var (label, v) = _bars[i];
                int h = (int)Math.Round(v * plotH / 100);
                int x = left + i * slot + (slot - barW) / 2;
                img.Fill(x, top + plotH - h, barW, h, 0x3B6FB6);
                var vt = v.ToString("0.0");
                img.Text(vt, x + (barW - vt.Length * CharW) / 2, top + plotH - h - CharH, 0x000000);
                img.Text(label, left + i * slot + (slot - label.Length * CharW) / 2, top + plotH + 8, 0x000000);
            }
        }
        File.WriteAllBytes(path, img.ToPng());
    }

    sealed class Raster(int w, int h)
    {
        readonly byte[] _rgb = new byte[w * h * 3];

        public void Fill(int x0, int y0, int fw, int fh, int color)
        {
            for (int y = Math.Max(0, y0); y < Math.Min(h, y0 + fh); y++)
                for (int x = Math.Max(0, x0); x < Math.Min(w, x0 + fw); x++) Set(x, y, color);
        }

        void Set(int x, int y, int c)
        {
            if (x < 0 || y < 0 || x >= w || y >= h) return;
            int i = (y * w + x) * 3;
            _rgb[i] = (byte)(c >> 16); _rgb[i + 1] = (byte)(c >> 8); _rgb[i + 2] = (byte)c;
        }

        public void Text(string s, int x, int y, int color)
        {
            foreach (var ch in s)
            {
                var rows = Font.Glyph(ch);
                for (int r = 0; r < 7; r++)
                    for (int c = 0; c < 5; c++)
                        if (rows[r][c] == '#') Fill(x + c * Scale, y + r * Scale, Scale, Scale, color);
                x += CharW;
            }
        }

        /// <summary>Text rotated 90° counter-clockwise, starting at the bottom (<paramref name="y"/>) going up.</summary>
        public void TextVertical(string s, int x, int y, int color)
        {
            foreach (var ch in s)
            {
                var rows = Font.Glyph(ch);
                for (int r = 0; r < 7; r++)
                    for (int c = 0; c < 5; c++)
                        if (rows[r][c] == '#') Fill(x + r * Scale, y - c * Scale, Scale, Scale, color);
                y -= CharW;
            }
        }

        public byte[] ToPng()
        {
            using var ms = new MemoryStream();
            ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
            var ihdr = new byte[13];
            BigEndian(ihdr, 0, (uint)w); BigEndian(ihdr, 4, (uint)h);
            ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB, no interlace
            Chunk(ms, "IHDR", ihdr);
            using var raw = new MemoryStream();
            using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
                for (int y = 0; y < h; y++) { z.WriteByte(0); z.Write(_rgb, y * w * 3, w * 3); } // filter type 0 per row
            Chunk(ms, "IDAT", raw.ToArray());
            Chunk(ms, "IEND", []);
            return ms.ToArray();
        }

        static void Chunk(Stream s, string type, byte[] data)
        {
            var head = new byte[8];
            BigEndian(head, 0, (uint)data.Length);
            for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
            s.Write(head);
            s.Write(data);
            var crc = Crc32(head.AsSpan(4), data);
            var tail = new byte[4];
            BigEndian(tail, 0, crc);
            s.Write(tail);
        }

        static void BigEndian(byte[] b, int o, uint v) { b[o] = (byte)(v >> 24); b[o + 1] = (byte)(v >> 16); b[o + 2] = (byte)(v >> 8); b[o + 3] = (byte)v; }

        static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
        {
            uint c = (uint)n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        /// <summary>The PNG chunk CRC (ISO 3309 CRC-32) over type and data.</summary>
        static uint Crc32(ReadOnlySpan<byte> type, byte[] data)
        {
            uint c = 0xFFFFFFFF;
            foreach (var b in type) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
            foreach (var b in data) c = CrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
            return c ^ 0xFFFFFFFF;
        }
    }

    /// <summary>A 5×7 pixel font: digits, letters (lower case drawn as capitals) and a few signs.</summary>
    static class Font
    {
        static readonly Dictionary<char, string[]> Glyphs = Build();

        public static string[] Glyph(char c) =>
            Glyphs.TryGetValue(char.ToUpperInvariant(c), out var g) ? g : Glyphs['?'];

        static Dictionary<char, string[]> Build()
        {
            // Each glyph: 7 rows of 5 columns, '#' = ink.
            var src = new (char, string)[]
            {
                ('0', ".###.#...##..###.#.###..##...#.###."), ('1', "..#...##....#....#....#....#...###."),
                ('2', ".###.#...#....#...#...#...#...#####"), ('3', "#####...#...#.....#.....##...#.###."),
                ('4', "...#...##..#.#.#..#.#####...#....#."), ('5', "#####.....####.....#....##...#.###."),
                ('6', "..##..#...#....####.#...##...#.###."), ('7', "#####....#...#...#...#....#....#..."),
                ('8', ".###.#...##...#.###.#...##...#.###."), ('9', ".###.#...##...#.####....#...#..##.."),
                ('A', ".###.#...##...#######...##...##...#"), ('B', "####.#...##...#####.#...##...#####."),
                ('C', ".###.#...##....#....#....#...#.###."), ('D', "###..#..#.#...##...##...##..#.###.."),
                ('E', "######....#....####.#....#....#####"), ('F', "######....#....####.#....#....#...."),
                ('G', ".###.#...##....#.####...##...#.####"), ('H', "#...##...##...#######...##...##...#"),
                ('I', ".###...#....#....#....#....#...###."), ('J', "..###...#....#....#....#.#..#..##.."),
                ('K', "#...##..#.#.#..##...#.#..#..#.#...#"), ('L', "#....#....#....#....#....#....#####"),
                ('M', "#...###.###.#.##.#.##...##...##...#"), ('N', "#...##...###..##.#.##..###...##...#"),
                ('O', ".###.#...##...##...##...##...#.###."), ('P', "####.#...##...#####.#....#....#...."),
                ('Q', ".###.#...##...##...##.#.##..#..##.#"), ('R', "####.#...##...#####.#.#..#..#.#...#"),
                ('S', ".#####....#.....###.....#....#####."), ('T', "#####..#....#....#....#....#....#.."),
                ('U', "#...##...##...##...##...##...#.###."), ('V', "#...##...##...##...##...#.#.#...#.."),
                ('W', "#...##...##...##.#.##.#.##.#.#.#.#."), ('X', "#...##...#.#.#...#...#.#.#...##...#"),
                ('Y', "#...##...#.#.#...#....#....#....#.."), ('Z', "#####....#...#...#...#...#....#####"),
                (' ', "..................................."), ('.', "..............................##..."),
                ('%', "##...##..#...#...#...#...#..##...##"), ('-', "...............###................."),
                (':', ".....##...##........##...##........"), ('=', "..........#####.....#####.........."),
                ('(', "...#...#...#....#....#.....#.....#."), (')', ".#.....#.....#....#....#...#...#..."),
                ('/', ".....#...#...#...#...#...#........."), (',', ".....................##....#...#..."),
                ('?', ".###.#...#....#...#...#.........#.."), ('+', ".......#....#..#####..#....#......."),
            };
            return src.ToDictionary(p => p.Item1, p => Enumerable.Range(0, 7).Select(r => p.Item2.Substring(r * 5, 5)).ToArray());
        }
    }
}
