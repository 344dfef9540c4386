using System.CommandLine;
using System.Reflection;

namespace Certify.Cli;

/// <summary>Entry point of the <c>certify</c> command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Certify: formal verification and certified training of neural networks.");
        foreach (var cmd in Commands().OrderBy(c => c.Name, StringComparer.Ordinal)) root.Subcommands.Add(cmd);
        try
        {
            // The default handler would print CliException with a stack trace; let it reach the one-line handler below.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"certify: {e.Message}");
            return 2;
        }
    }

    /// <summary>All commands defined in this assembly.</summary>
    public static IEnumerable<Command> Commands() =>
        typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
            .Select(t => ((ICliCommand)Activator.CreateInstance(t)!).Build());
}

/// <summary>A user-facing error (bad file, bad option): printed as one line, exit code 2, no stack trace.</summary>
public sealed class CliException(string message) : Exception(message);
