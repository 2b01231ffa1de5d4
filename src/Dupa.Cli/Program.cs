using System.CommandLine;
using Dupa.Cli;
using Dupa.Core.Errors;

var root = DupaCommand.Build();
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    foreach (var error in parse.Errors)
    {
        Console.Error.WriteLine($"dupa: {error.Message}");
    }
    Console.Error.WriteLine("Run 'dupa --help' (or 'dupa COMMAND --help') for usage.");
    return ExitCodes.Usage;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
try
{
    return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancel.Token);
}
catch (DupaException e)
{
    Console.Error.WriteLine($"dupa: {e.Message.ReplaceLineEndings(" ")}");
    return ExitCodes.For(e.Code);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("dupa: interrupted; finished work is kept");
    return ExitCodes.Interrupted;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"dupa: {e.Message}");
    return ExitCodes.Io;
}
catch (Exception e)
{
    // A bug: say so in one line; the stack trace only when asked for.
    Console.Error.WriteLine($"dupa: internal error ({e.GetType().Name}): {e.Message.ReplaceLineEndings(" ")}");
    if (Environment.GetEnvironmentVariable("DUPA_DEBUG") == "1")
    {
        Console.Error.WriteLine(e);
    }
    return ExitCodes.Error;
}
