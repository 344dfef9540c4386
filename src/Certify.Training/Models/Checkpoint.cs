using System.Text;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Certify.Training.Models;

/// <summary>
/// A training checkpoint: the architecture name, the epoch reached and every trainable tensor (float32), in a small
/// self-describing binary file (<c>CERTIFY-CKPT 1</c>, then for each tensor its rank, dims and little-endian values).
/// Loading rebuilds the architecture from <see cref="ModelZoo"/> and copies the values in, checking every shape.
/// </summary>
public static class Checkpoint
{
    const string Magic = "CERTIFY-CKPT 1";

    /// <summary>Writes <paramref name="net"/> after <paramref name="epoch"/> epochs to <paramref name="path"/> (atomically: temp file, then rename).</summary>
    public static void Save(TrainableNetwork net, int epoch, string path)
    {
        var tmp = path + ".tmp";
        using (var w = new BinaryWriter(File.Create(tmp), Encoding.UTF8))
        {
            w.Write(Magic);
            w.Write(net.Architecture);
            w.Write(epoch);
            w.Write(net.Parameters.Count);
            foreach (var p in net.Parameters)
            {
                w.Write((int)p.dim());
                foreach (var d in p.shape) w.Write(d);
                var values = p.detach().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
                foreach (var v in values) w.Write(v);
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a checkpoint written by <see cref="Save"/>: the network and the epoch it was saved at.</summary>
    /// <exception cref="InvalidDataException">not a checkpoint, or its tensors do not fit the named architecture.</exception>
    public static (TrainableNetwork Net, int Epoch) Load(string path)
    {
        using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        string magic;
        try { magic = r.ReadString(); } catch (Exception e) when (e is EndOfStreamException or IOException) { magic = ""; }
        if (magic != Magic) throw new InvalidDataException($"{path}: not a Certify checkpoint (expected header '{Magic}')");
        var arch = r.ReadString();
        int epoch = r.ReadInt32();
        TrainableNetwork net;
        try { net = ModelZoo.Create(arch); }
        catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}"); }
        int count = r.ReadInt32();
        if (count != net.Parameters.Count)
            throw new InvalidDataException($"{path}: {count} tensors, but architecture '{arch}' has {net.Parameters.Count}");
        using var noGrad = no_grad();
        for (int i = 0; i < count; i++)
        {
            Parameter p = net.Parameters[i];
            int rank = r.ReadInt32();
            var shape = Enumerable.Range(0, rank).Select(_ => r.ReadInt64()).ToArray();
            if (!shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"{path}: tensor {i} has shape {Graph.Op.ShapeText(shape)}, architecture '{arch}' needs {Graph.Op.ShapeText(p.shape)}");
            var values = new float[p.numel()];
            for (int k = 0; k < values.Length; k++) values[k] = r.ReadSingle();
            p.copy_(tensor(values, shape));
        }
        return (net, epoch);
    }
}
