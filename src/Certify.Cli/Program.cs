namespace Certify.Cli;

/// <summary>Entry point of the <c>certify</c> command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine("certify: commands are being built");
        return 0;
    }
}
