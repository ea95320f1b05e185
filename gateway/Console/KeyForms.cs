using System.Globalization;

namespace Gateway.OperatorConsole;

/// <summary>Form values shared by the key forms.</summary>
internal static class KeyForms
{
    /// <summary>A <c>datetime-local</c> value, read as UTC; empty means no expiry; unreadable is sent as-is for the API to refuse by field.</summary>
    public static string? Expiry(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return DateTime.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var at)
            ? new DateTimeOffset(at, TimeSpan.Zero).ToString("O", CultureInfo.InvariantCulture)
            : value;
    }

    /// <summary>A list typed in one field, split on commas, spaces and line breaks; empty gives <paramref name="empty"/>.</summary>
    public static string[]? List(string? value, string[]? empty)
    {
        var items = (value ?? "").Split([',', ' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries);
        return items.Length == 0 ? empty : items;
    }
}
