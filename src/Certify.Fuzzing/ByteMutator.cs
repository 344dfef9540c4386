namespace Certify.Fuzzing;

/// <summary>
/// Format-blind mutations in the manner of AFL's havoc stage: a few stacked edits (bit flips, interesting values,
/// arithmetic, block deletion, insertion, duplication, dictionary tokens, splicing with another corpus entry). They find
/// what structure-aware mutations cannot express (a truncated varint, a byte that is not valid UTF-8).
/// </summary>
public static class ByteMutator
{
    static readonly byte[] Interesting8 = [0, 1, 0x7F, 0x80, 0xFF, 0x0A, 0x0D, 0x20, 0x28, 0x29, 0x2D, 0x2E, 0x30, 0x39];

    /// <summary>Applies 1 to 8 stacked mutations; the result has at most <paramref name="maxBytes"/> bytes.</summary>
    public static byte[] Havoc(byte[] input, IReadOnlyList<byte[]> corpus, IReadOnlyList<byte[]> dictionary, Random rng, int maxBytes)
    {
        var d = new List<byte>(input);
        int stack = 1 << rng.Next(4);
        for (int s = 0; s < stack; s++) MutateOnce(d, corpus, dictionary, rng, maxBytes);
        if (d.Count > maxBytes) d.RemoveRange(maxBytes, d.Count - maxBytes);
        return d.ToArray();
    }

    static void MutateOnce(List<byte> d, IReadOnlyList<byte[]> corpus, IReadOnlyList<byte[]> dictionary, Random rng, int maxBytes)
    {
        int op = rng.Next(d.Count == 0 ? 1 : 12);
        switch (op)
        {
            case 0: // insert random bytes
            {
                int at = rng.Next(d.Count + 1), n = 1 + rng.Next(rng.Next(2) == 0 ? 4 : 64);
                var bytes = new byte[n];
                if (rng.Next(2) == 0) rng.NextBytes(bytes); else Array.Fill(bytes, d.Count > 0 ? d[rng.Next(d.Count)] : (byte)rng.Next(256));
                d.InsertRange(at, bytes);
                break;
            }
            case 1: { int i = rng.Next(d.Count); d[i] ^= (byte)(1 << rng.Next(8)); break; }
            case 2: d[rng.Next(d.Count)] = (byte)rng.Next(256); break;
            case 3: d[rng.Next(d.Count)] = Interesting8[rng.Next(Interesting8.Length)]; break;
            case 4: { int i = rng.Next(d.Count); d[i] = (byte)(d[i] + rng.Next(-35, 36)); break; }
            case 5: // delete a block
            {
                int at = rng.Next(d.Count), n = 1 + rng.Next(Math.Min(d.Count - at, rng.Next(2) == 0 ? 8 : 256));
                d.RemoveRange(at, n);
                break;
            }
            case 6: // duplicate a block
            {
                int at = rng.Next(d.Count), n = 1 + rng.Next(Math.Min(d.Count - at, 128));
                if (d.Count + n <= maxBytes) d.InsertRange(rng.Next(d.Count + 1), d.GetRange(at, n));
                break;
            }
            case 7: // overwrite a block with another part of the input
            {
                int from = rng.Next(d.Count), to = rng.Next(d.Count), n = 1 + rng.Next(Math.Min(d.Count - Math.Max(from, to), 64));
                var block = d.GetRange(from, n);
                for (int k = 0; k < n; k++) d[to + k] = block[k];
                break;
            }
            case 8:
            case 9: // a dictionary token, inserted or written over
                if (dictionary.Count > 0)
                {
                    var t = dictionary[rng.Next(dictionary.Count)];
                    int at = rng.Next(d.Count + 1);
                    if (op == 8 || at + t.Length > d.Count) d.InsertRange(at, t);
                    else for (int k = 0; k < t.Length; k++) d[at + k] = t[k];
                }
                break;
            case 10: // splice: a prefix of this input and a suffix of another
                if (corpus.Count > 1)
                {
                    var other = corpus[rng.Next(corpus.Count)];
                    if (other.Length > 1)
                    {
                        int cut = rng.Next(d.Count), from = rng.Next(other.Length);
                        d.RemoveRange(cut, d.Count - cut);
                        d.AddRange(other.AsSpan(from).ToArray());
                    }
                }
                break;
            default: // truncate
            {
                int cut = rng.Next(d.Count);
                d.RemoveRange(cut, d.Count - cut);
                break;
            }
        }
    }
}
