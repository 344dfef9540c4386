using System.Globalization;
using Certify.Spec;

namespace Certify.Training.Data;

/// <summary>
/// VNNLIB local-robustness properties from MNIST test digits ("every image within ε of test digit i, clipped to
/// [0, 1], is classified as its label"), written with the project's <see cref="VnnLibWriter"/>.
/// </summary>
public static class MnistProperties
{
    /// <summary>File name of the property for test digit <paramref name="index"/> at <paramref name="eps"/>.</summary>
    public static string FileName(int index, double eps) =>
        $"mnist_test{index:D4}_eps{eps.ToString("0.###", CultureInfo.InvariantCulture)}.vnnlib";

    /// <summary>
    /// Writes one property per index of <paramref name="test"/> into <paramref name="dir"/>; returns the paths.
    /// The pixels are taken exactly as loaded (float32 values, widened to double).
    /// </summary>
    public static IReadOnlyList<string> Write(MnistDataset test, IEnumerable<int> indices, double eps, string dir)
    {
        Directory.CreateDirectory(dir);
        var paths = new List<string>();
        foreach (var i in indices)
        {
            var x = test.Image(i).ToArray().Select(v => (double)v).ToArray();
            var spec = RobustnessProperty.Create(x, test.Labels[i], eps, MnistDataset.NumClasses);
            var path = Path.Combine(dir, FileName(i, eps));
            VnnLibWriter.Write(spec, path);
            paths.Add(path);
        }
        return paths;
    }
}
