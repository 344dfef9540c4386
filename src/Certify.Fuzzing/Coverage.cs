using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using dnlib.DotNet;
using dnlib.DotNet.Emit;
using SharpFuzz;
using SharpFuzz.Common;

namespace Certify.Fuzzing;

/// <summary>
/// Where a target's edge coverage is read from. The engine clears it before each input and reads it after; a target
/// without instrumentation (a test's fake) has an empty map, and the engine then keeps only its seeds.
/// </summary>
public interface ICoverageMap
{
    /// <summary>The hit counts of the last input, one byte per edge slot (AFL's layout: slot = current ^ previous block id).</summary>
    ReadOnlySpan<byte> Counts { get; }

    /// <summary>Clears the counts (and the previous-block register) before an input runs.</summary>
    void Reset();
}

/// <summary>A map nothing writes to, for targets without instrumentation.</summary>
public sealed class NoCoverage : ICoverageMap
{
    readonly byte[] _map = new byte[InstrumentedCore.MapSize];
    /// <inheritdoc/>
    public ReadOnlySpan<byte> Counts => _map;
    /// <inheritdoc/>
    public void Reset() { }
}

/// <summary>
/// A copy of Certify.Core.dll instrumented by SharpFuzz (AFL-style edge counters at every basic block of the parser,
/// the importer, the graph and the IO helpers) and loaded into its own <see cref="AssemblyLoadContext"/>.
/// <para>Why a copy in its own context: the fuzzer must see which branches an input takes, but Certify.Core itself must
/// not depend on SharpFuzz, and the normal, uninstrumented Certify.Core is already loaded in the default context
/// (the CLI and the mutators use it). The copy's own dependencies (TorchSharp, Google.Protobuf, SharpFuzz.Common) come
/// from the default context, so tensors and the shared trace map are the same objects on both sides; its own types
/// (<c>VnnLibException</c>, <c>ComputationGraph</c>) are distinct, so targets reach them by name through reflection.</para>
/// <para>The instrumented code writes <c>SharedMem[cur ^ prev]++</c> into <see cref="Trace.SharedMem"/>, a raw pointer
/// that SharpFuzz leaves null outside an AFL fork server; it is pointed at a buffer owned here before any instrumented
/// code can run (a null map would crash the process at the first branch).</para>
/// </summary>
public sealed unsafe class InstrumentedCore : ICoverageMap
{
    /// <summary>Size of SharpFuzz's trace map (AFL's 64 KiB).</summary>
    public const int MapSize = 1 << 16;

    static readonly Lazy<InstrumentedCore> Instance = new(() => new InstrumentedCore(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The process-wide instance (the trace map is one static pointer, so there can be only one).</summary>
    public static InstrumentedCore Shared => Instance.Value;

    readonly byte* _map;

    /// <summary>The instrumented Certify.Core, loaded in its own context.</summary>
    public Assembly Assembly { get; }

    /// <summary>Number of types SharpFuzz instrumented.</summary>
    public int InstrumentedTypes { get; }

    /// <summary>Calls to matmul redirected to <see cref="TorchGuards.MatMul"/>.</summary>
    public int GuardedCalls { get; }

    /// <summary>How long copying and instrumenting took.</summary>
    public TimeSpan InstrumentationTime { get; }

    InstrumentedCore()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        _map = (byte*)NativeMemory.AllocZeroed(MapSize);
        Trace.SharedMem = _map;
        Trace.PrevLocation = 0;
        var source = typeof(Certify.Spec.VnnLibParser).Assembly.Location;
        if (string.IsNullOrEmpty(source) || !File.Exists(source))
            throw new InvalidOperationException("Certify.Core.dll was not loaded from a file; the fuzzer needs the file to instrument a copy");
        var dir = Path.Combine(Path.GetTempPath(), $"certify-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var copy = Path.Combine(dir, "Certify.Core.dll");
            File.Copy(source, copy);
            var types = Fuzzer.Instrument(copy, IsInstrumented, Options.Value);
            InstrumentedTypes = types.Count();
            GuardedCalls = RedirectMatMul(copy);
            // Loaded from bytes so that the temporary folder can go at once.
            Assembly = new CoverageLoadContext().LoadFromStream(new MemoryStream(File.ReadAllBytes(copy)));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        InstrumentationTime = sw.Elapsed;
    }

    /// <summary>
    /// Rewrites every call to <c>Tensor.matmul(Tensor)</c> and <c>torch.matmul(Tensor, Tensor)</c> in the copy into a call
    /// to <see cref="TorchGuards.MatMul"/> (same operands on the stack, same result), so that an input that would make
    /// libtorch abort the process becomes an exception the fuzzer catches. Returns how many calls were redirected.
    /// </summary>
    static int RedirectMatMul(string path)
    {
        int n = 0;
        using var module = ModuleDefMD.Load(File.ReadAllBytes(path));
        var guard = module.Import(typeof(TorchGuards).GetMethod(nameof(TorchGuards.MatMul))!);
        foreach (var type in module.GetTypes())
            foreach (var method in type.Methods)
            {
                if (!method.HasBody) continue;
                foreach (var ins in method.Body.Instructions)
                {
                    if ((ins.OpCode != OpCodes.Call && ins.OpCode != OpCodes.Callvirt) || ins.Operand is not IMethod target || target.Name != "matmul") continue;
                    var owner = target.DeclaringType?.FullName;
                    int parameters = target.MethodSig?.Params.Count ?? -1;
                    bool instance = owner == "TorchSharp.torch/Tensor" && parameters == 1 && target.MethodSig!.HasThis;
                    bool isStatic = owner == "TorchSharp.torch" && parameters == 2 && !target.MethodSig!.HasThis;
                    if (!instance && !isStatic) continue;
                    ins.OpCode = OpCodes.Call;
                    ins.Operand = guard;
                    n++;
                }
            }
        module.Write(path + ".guarded");
        module.Dispose();
        File.Move(path + ".guarded", path, overwrite: true);
        return n;
    }

    /// <summary>The parser, the importer and what they call (graph building and simplification, shape checks, file IO).</summary>
    static bool IsInstrumented(string typeName) =>
        typeName.StartsWith("Certify.Spec.", StringComparison.Ordinal) ||
        typeName.StartsWith("Certify.Import.", StringComparison.Ordinal) ||
        typeName.StartsWith("Certify.Graph.", StringComparison.Ordinal) ||
        typeName.StartsWith("Certify.IO.", StringComparison.Ordinal);

    /// <inheritdoc/>
    public ReadOnlySpan<byte> Counts => new(_map, MapSize);

    /// <inheritdoc/>
    public void Reset()
    {
        NativeMemory.Clear(_map, MapSize);
        Trace.PrevLocation = 0;
    }

    /// <summary>A public static method of a type of the instrumented assembly, by full type name and parameter types.</summary>
    public MethodInfo Method(string type, string name, params Type[] parameters) =>
        (Assembly.GetType(type, throwOnError: true)!).GetMethod(name, BindingFlags.Public | BindingFlags.Static, parameters)
        ?? throw new MissingMethodException(type, name);

    /// <summary>A type of the instrumented assembly by full name.</summary>
    public Type Type(string name) => Assembly.GetType(name, throwOnError: true)!;

    /// <summary>Resolves nothing itself: every dependency of the instrumented copy comes from the default context.</summary>
    sealed class CoverageLoadContext() : AssemblyLoadContext("certify-fuzz-instrumented", isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name) => null;
    }
}
