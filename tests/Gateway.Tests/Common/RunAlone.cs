using Xunit;

namespace Gateway.Tests.Common;

/// <summary>
/// Tests that read process-wide state or measure time run alone, after the parallel ones: the
/// gateway's ActivitySource is process-wide (while a tracing test listens, every other in-process
/// gateway would make spans and send traceparent upstream), and a timing comparison next to a dozen
/// other tests measures the machine's load, not the code.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunAlone
{
    public const string Name = "run alone";
}
