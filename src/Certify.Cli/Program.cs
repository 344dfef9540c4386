using System.CommandLine;
using Certify.Import;
using Certify.Spec;

namespace Certify.Cli;

/// <summary>Entry point of the <c>certify</c> command.</summary>
public static class Program
{
    /// <summary>
    /// Parses and runs a command. Every failure ends in one line on standard error and a documented exit code
    /// (<see cref="ExitCodes"/>, <c>specs/exit-codes.md</c>): bad options and bad files exit 2, a bug exits 3 with its
    /// type and message (the stack trace only with <c>CERTIFY_DEBUG=1</c>). No exception reaches the runtime's handler.
    /// </summary>
    public static int Main(string[] args)
    {
        // Only when this Main started the process: a test host or an embedding application calls it long after its own start.
        if (Interlocked.Exchange(ref _mainEntered, 1) == 0 && System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly)
            _startUpTime = ProcessAge();
        Terminal.ConfigureStandardOutput();   // plain text (no ANSI, no 80-column cut) unless standard output is a terminal
        if (BackgroundGcProblem() is { } gc)
        {
            Console.Error.WriteLine($"certify: {gc}");
            return ExitCodes.InternalError;
        }
        var root = new RootCommand("Certify: formal verification and certified training of neural networks. Exit codes (specs/exit-codes.md): 0 done (any verdict), 1 a failure found (wrong answer, unsound tool, crash found by fuzz), 2 bad input or option, 3 internal error, 130 interrupted.");
        foreach (var cmd in Commands().OrderBy(c => c.Name, StringComparer.Ordinal)) root.Subcommands.Add(cmd);
        try
        {
            var parse = root.Parse(args);
            if (parse.Errors.Count > 0)
            {
                // One line per problem (System.CommandLine would print the whole help after them), naming missing arguments.
                foreach (var line in ErrorLines(parse)) Console.Error.WriteLine($"certify: {line}");
                Console.Error.WriteLine($"certify: see '{string.Join(' ', CommandPath(parse))} --help'");
                return ExitCodes.BadInput;
            }
            // The default handler would print exceptions with a stack trace; let them reach the one-line handlers below.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Describe(e) is { } known)
        {
            Console.Error.WriteLine($"certify: {known}");
            return ExitCodes.BadInput;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("certify: interrupted");
            return ExitCodes.Interrupted;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"certify: internal error: {e.GetType().Name}: {FirstLine(e.Message)}" +
                (Environment.GetEnvironmentVariable("CERTIFY_DEBUG") == "1" ? "\n" + e : " (set CERTIFY_DEBUG=1 for the stack trace)"));
            return ExitCodes.InternalError;
        }
    }

    static int _mainEntered;

    /// <summary>
    /// The message of <see cref="Certify.Runtime.BlockingGc"/> when this process collects in the background (a
    /// <c>DOTNET_gcConcurrent=1</c> in the environment overrides certify.runtimeconfig.json), else null. Certify.Core
    /// refuses to load then; its module initializer runs before the first method that touches the assembly, so the
    /// touch is in a method of its own and the exception is caught here, to print one line rather than a stack trace.
    /// </summary>
    static string? BackgroundGcProblem()
    {
        try { TouchCore(); return null; }
        catch (TypeInitializationException e) when (e.InnerException is Certify.Runtime.BackgroundGcException b) { return b.Message; }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void TouchCore() => Certify.Runtime.BlockingGc.Require();
    static TimeSpan _startUpTime;

    /// <summary>
    /// The time the process took from its start to the first <see cref="Main"/> (runtime start-up, assembly loading),
    /// once, and only when <c>certify</c> is the process: a verification's deadline counts it, as VNN-COMP counts the
    /// whole process. Elsewhere (a test host, an embedding application, a second call) it is zero: that process started
    /// long before the call, and counting its age made the first verify of a test run time out with no budget.
    /// </summary>
    internal static TimeSpan TakeStartUpTime()
    {
        var t = _startUpTime;
        _startUpTime = TimeSpan.Zero;
        return t;
    }

    static TimeSpan ProcessAge()
    {
        try
        {
            var age = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;
            return age < TimeSpan.Zero || age > TimeSpan.FromMinutes(1) ? TimeSpan.Zero : age;
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>The one-line message of an error caused by the user's input, or null for anything else (a bug).</summary>
    static string? Describe(Exception e) => e switch
    {
        CliException c => c.Message,
        ImportException or NNetException or VnnLibException => FirstLine(e.Message),
        Certify.Graph.GraphException => FirstLine(e.Message),   // a network Certify cannot compute with (a float64 weight past float32's range)
        FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or PathTooLongException => FirstLine(e.Message),
        IOException io when io.GetType() == typeof(IOException) => FirstLine(e.Message),   // disk full, read-only file system
        _ => null,
    };

    /// <summary>The parse errors, once each; "required argument missing" becomes the names of the missing arguments and the usage.</summary>
    static IEnumerable<string> ErrorLines(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var missing = command.Arguments.Where(a => !a.HasDefaultValue && (parse.GetResult(a) is not { } r || r.Tokens.Count == 0)).Select(a => $"<{a.Name}>").ToList();
        var usage = string.Join(' ', CommandPath(parse).Concat(command.Arguments.Select(a => $"<{a.Name}>"))) + (command.Options.Count > 0 ? " [options]" : "");
        var seen = new HashSet<string>();
        foreach (var e in parse.Errors)
        {
            var line = e.Message.StartsWith("Required argument missing", StringComparison.Ordinal) && missing.Count > 0
                ? $"missing {string.Join(" and ", missing)} (usage: {usage})"
                : e.Message;
            if (seen.Add(line)) yield return line;
        }
    }

    static string FirstLine(string s) => s.Split('\n')[0].TrimEnd('\r');

    static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult) names.Insert(0, r.Command.Name);
        if (names.Count > 0) names[0] = "certify";
        return names;
    }

    /// <summary>The exit codes in one line, for the help of every command that does not describe its own.</summary>
    public const string ExitCodesHelp = "Exit codes (specs/exit-codes.md): 0 done; 2 bad input or option; 3 internal error; 130 interrupted.";

    /// <summary>All commands defined in this assembly; each one's help names the exit codes (its own, or <see cref="ExitCodesHelp"/>).</summary>
    public static IEnumerable<Command> Commands() =>
        typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
            .Select(t => WithExitCodes(((ICliCommand)Activator.CreateInstance(t)!).Build()));

    static Command WithExitCodes(Command c)
    {
        if (c.Description is not { } d || !d.Contains("Exit codes", StringComparison.Ordinal)) c.Description = (c.Description is { Length: > 0 } ? c.Description + " " : "") + ExitCodesHelp;
        foreach (var sub in c.Subcommands) WithExitCodes(sub);
        return c;
    }
}

/// <summary>A user-facing error (bad file, bad option): printed as one line, exit code 2, no stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
