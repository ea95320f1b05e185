using Gateway.Diagnostics;
using Gateway.Policy.Directory;
using Gateway.Store;

namespace Gateway.Admin;

/// <summary>Collects every invalid field of a request, then answers them all at once.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    public void Entity(string field, string? value, bool required = true)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, $"'{field}' is required.");
            }
        }
        else if (!Names.IsValidEntity(value))
        {
            Add(field, $"'{field}' must match [a-z0-9][a-z0-9_-]{{0,63}}.");
        }
    }

    public void Label(string field, string? value)
    {
        if (value is null)
        {
            Add(field, $"'{field}' is required.");
        }
        else if (!Names.IsValidLabel(value))
        {
            Add(field, $"'{field}' must be 1 to {Names.MaxLabelLength} printable characters without leading or trailing spaces.");
        }
    }

    /// <summary>
    /// Parses an enum field in its one wire spelling; <paramref name="fallback"/> when absent. When
    /// <paramref name="allowed"/> is given, other values of the enum are field errors too (values the
    /// gateway assigns itself must never reach code that cannot handle them).
    /// </summary>
    public T Enum<T>(string field, string? value, T? fallback = null, params T[] allowed) where T : struct, System.Enum
    {
        if (allowed.Length > 0 && value is not null && (!Wire.TryParse<T>(value, out var parsed) || !allowed.Contains(parsed)))
        {
            Add(field, $"'{field}' must be one of {string.Join(", ", allowed.Select(Wire.Of))}.");
            return allowed[0];
        }

        return ParseEnum(field, value, fallback);
    }

    private T ParseEnum<T>(string field, string? value, T? fallback) where T : struct, System.Enum
    {
        if (value is null)
        {
            if (fallback is { } f)
            {
                return f;
            }

            Add(field, $"'{field}' is required: one of {Wire.Expected<T>()}.");
            return default;
        }

        if (Wire.TryParse<T>(value, out var parsed))
        {
            return parsed;
        }

        Add(field, $"'{field}' must be one of {Wire.Expected<T>()}.");
        return default;
    }

    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new AdminProblemException(400, ProblemCodes.InvalidFields, "One or more fields are invalid.",
                _errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        }
    }
}
