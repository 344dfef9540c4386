using System.CommandLine;
using Certify.Cli;

namespace Certify.Tests;

/// <summary>
/// Runs one <c>certify</c> command in this process, the way the command-line tests need it: exceptions reach the test
/// (no default handler), output is captured, and parse errors can be read without invoking anything.
/// </summary>
public static class CommandHarness
{
    static RootCommand Root<TCommand>() where TCommand : ICliCommand, new()
    {
        var root = new RootCommand();
        root.Subcommands.Add(new TCommand().Build());
        return root;
    }

    /// <summary>Invokes the command with <paramref name="args"/> (the command's name first) and returns its exit code and standard output.</summary>
    public static (int Code, string Output) Invoke<TCommand>(params string[] args) where TCommand : ICliCommand, new()
    {
        var output = new StringWriter();
        int code = Root<TCommand>().Parse(args).Invoke(new InvocationConfiguration { Output = output, EnableDefaultExceptionHandler = false });
        return (code, output.ToString());
    }

    /// <summary>The exit code of <see cref="Invoke{TCommand}"/>.</summary>
    public static int Run<TCommand>(params string[] args) where TCommand : ICliCommand, new() => Invoke<TCommand>(args).Code;

    /// <summary>The parse errors of <paramref name="args"/> (option validation included), without running the command.</summary>
    public static IReadOnlyList<string> ParseErrors<TCommand>(params string[] args) where TCommand : ICliCommand, new() =>
        Root<TCommand>().Parse(args).Errors.Select(e => e.Message).ToList();

    /// <summary>Runs <c>certify ARGS</c> through <see cref="Program.Main"/> (every command, the one-line error handling included), capturing both streams.</summary>
    public static (int Code, string Stdout, string Stderr) Certify(string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int code = Program.Main(args);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
            Terminal.ConfigureStandardOutput();   // Main bound Spectre's console to the captured writer: back to the real one
        }
    }
}
