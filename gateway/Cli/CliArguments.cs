namespace Gateway.Cli;

/// <summary>A mistake in how the CLI was called: exit code 2 with the message.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>
/// The words after the command: positional arguments and <c>--name value</c> options. Every option
/// given must be one the command reads (a typo is an error, not silently ignored).
/// </summary>
internal sealed class CliArguments
{
    private static readonly HashSet<string> Flags = ["federated", "accept-raw-jwt", "all-current-projects", "never-expires", "cascade", "dry-run", "keys"];
    private readonly List<string> _positional = [];
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CliArguments(IEnumerable<string> words)
    {
        using var e = words.GetEnumerator();
        while (e.MoveNext())
        {
            var word = e.Current;
            if (!word.StartsWith("--", StringComparison.Ordinal))
            {
                _positional.Add(word);
                continue;
            }

            var name = word[2..];
            string? value = null;
            if (name.IndexOf('=') is var eq and > 0)
            {
                (name, value) = (name[..eq], name[(eq + 1)..]);
                if (Flags.Contains(name))
                {
                    // "--cascade=false" must not cascade: a flag is given or not, never with a value.
                    throw new CliUsageException($"--{name} takes no value: give it alone, or leave it out.");
                }
            }
            else if (!Flags.Contains(name))
            {
                value = e.MoveNext() ? e.Current : throw new CliUsageException($"--{name} needs a value.");
            }

            if (!_options.TryAdd(name, value))
            {
                throw new CliUsageException($"--{name} is given twice.");
            }
        }
    }

    public string At(int index) => index < _positional.Count ? _positional[index] : throw new CliUsageException("Missing an argument.");

    public int PositionalCount => _positional.Count;

    public string? Option(string name)
    {
        _read.Add(name);
        return _options.GetValueOrDefault(name);
    }

    public string Required(string name) => Option(name) ?? throw new CliUsageException($"--{name} is required.");

    public bool Flag(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    /// <summary>Options nobody read: misspelled or meant for another command.</summary>
    public IEnumerable<string> Unread => _options.Keys.Where(k => !_read.Contains(k));
}
