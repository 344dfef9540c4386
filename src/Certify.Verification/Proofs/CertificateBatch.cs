using System.Diagnostics;
using System.Globalization;
using Certify.Checker;

namespace Certify.Verification.Proofs;

/// <summary>The outcome of checking one instance's certificate (<see cref="CertificateBatch"/>).</summary>
/// <param name="Entry">The instance's row of the certificate index.</param>
/// <param name="Check">accepted, rejected or not checkable.</param>
/// <param name="Reason">The checker's line (which region, leaf and bound for a rejection), or why it is not checkable.</param>
/// <param name="Bytes">Size of the certificate file (0 when none).</param>
/// <param name="CheckSeconds">Time to check it (reading the files, the ONNX Runtime comparison and the checker), 0 when not checked.</param>
/// <param name="VerifySeconds">Verification time, from the results file when given, else from the index.</param>
public sealed record CertificateCheck(CertificateEntry Entry, string Check, string Reason, long Bytes, double CheckSeconds, double VerifySeconds)
{
    public const string Accepted = "accepted", Rejected = "rejected", NotCheckable = "not checkable";

    /// <summary>Checking time over verification time (null when either is missing or zero).</summary>
    public double? Ratio => CheckSeconds > 0 && VerifySeconds > 0 ? CheckSeconds / VerifySeconds : null;

    /// <summary>The header of <see cref="Fields"/>.</summary>
    public static readonly string[] Header = ["family", "network", "property", "check", "reason", "bytes", "leaves", "check_seconds", "verify_seconds", "ratio"];

    public IEnumerable<string> Fields()
    {
        var c = CultureInfo.InvariantCulture;
        return [Entry.Family, Entry.Network, Entry.Property, Check, Reason, Bytes.ToString(c), Entry.Leaves.ToString(c),
            CheckSeconds.ToString("F3", c), VerifySeconds.ToString("F3", c), Ratio?.ToString("F3", c) ?? ""];
    }
}

/// <summary>
/// Checks every certificate of a <c>run --certificate-dir</c> folder in one process (<c>certify check-certificate
/// --certificate-dir DIR</c>): per unsat instance of the index, accepted or rejected (the checker's reason), or not
/// checkable (the verifier wrote no certificate, with its reason; or the file is missing or unreadable). Each check is
/// <see cref="CertificateFiles.Check"/>, the same as <c>check-certificate MODEL PROP CERT</c>: the batch only saves the
/// process start per instance. A certificate file that is not a certificate (<see cref="CertificateException"/>) is a
/// rejection: it was written as the proof of an unsat and does not prove it.
/// </summary>
public static class CertificateBatch
{
    /// <summary>
    /// Checks the unsat rows of <paramref name="entries"/>; <paramref name="verifySeconds"/> overrides an entry's
    /// verification time (the results file's), <paramref name="done"/> hears each outcome as it is known.
    /// </summary>
    public static List<CertificateCheck> Check(string folder, IEnumerable<CertificateEntry> entries, Func<CertificateEntry, double?>? verifySeconds = null,
        int parallelism = 0, Action<CertificateCheck>? done = null)
    {
        var results = new List<CertificateCheck>();
        foreach (var e in entries.Where(x => x.Result == "unsat"))
        {
            var check = One(folder, e, verifySeconds?.Invoke(e) ?? e.Seconds, parallelism);
            results.Add(check);
            done?.Invoke(check);
        }
        return results;
    }

    static CertificateCheck One(string folder, CertificateEntry e, double verify, int parallelism)
    {
        if (e.Certificate.Length == 0)
            return new(e, CertificateCheck.NotCheckable, e.Note.Length > 0 ? e.Note : "no certificate written", 0, 0, verify);
        var path = Path.Combine(folder, e.Certificate);
        if (!File.Exists(path)) return new(e, CertificateCheck.NotCheckable, $"{path}: no such file (the index names it)", 0, 0, verify);
        foreach (var f in new[] { e.Onnx, e.Vnnlib })
            if (!File.Exists(f)) return new(e, CertificateCheck.NotCheckable, $"{f}: no such file (the index names it)", new FileInfo(path).Length, 0, verify);
        long bytes = new FileInfo(path).Length;
        var clock = Stopwatch.StartNew();
        try
        {
            var report = CertificateFiles.Check(e.Onnx, e.Vnnlib, path, parallelism: parallelism);
            return new(e, report.Accepted ? CertificateCheck.Accepted : CertificateCheck.Rejected, report.Message, bytes, clock.Elapsed.TotalSeconds, verify);
        }
        catch (CertificateException x) { return new(e, CertificateCheck.Rejected, x.Message, bytes, clock.Elapsed.TotalSeconds, verify); }
        catch (Exception x) when (x is not OutOfMemoryException)
        {
            // The network or property could not be read (an import error): one instance, not the batch.
            return new(e, CertificateCheck.NotCheckable, $"error reading the instance: {x.GetType().Name}: {x.Message.Split('\n')[0]}", bytes, clock.Elapsed.TotalSeconds, verify);
        }
    }
}
