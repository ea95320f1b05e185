using System.Collections.Frozen;

namespace Gateway.Store;

/// <summary>
/// The one spelling of every enum on the wire and in the store: lowercase, with the few multi-word
/// values written the way the API documents them (<c>legacy40</c>, <c>importedLegacy</c>, <c>builtin</c>).
/// Parsing is exact: <c>Admin</c> is not <c>admin</c>.
/// </summary>
internal static class Wire
{
    private static readonly FrozenDictionary<Enum, string> Names = Build().ToFrozenDictionary();

    private static readonly FrozenDictionary<(Type, string), Enum> Values =
        Names.ToFrozenDictionary(p => (p.Key.GetType(), p.Value), p => p.Key);

    public static string Of<T>(T value) where T : struct, Enum => Names[value];

    public static bool TryParse<T>(string? text, out T value) where T : struct, Enum
    {
        if (text is not null && Values.TryGetValue((typeof(T), text), out var boxed))
        {
            value = (T)boxed;
            return true;
        }

        value = default;
        return false;
    }

    public static string Expected<T>() where T : struct, Enum
        => string.Join(", ", System.Enum.GetValues<T>().Select(v => Of(v)));

    private static IEnumerable<KeyValuePair<Enum, string>> Build()
    {
        Type[] types =
        [
            typeof(Policy.Model.OrgRole), typeof(Policy.Model.TeamRole), typeof(Policy.Model.Visibility),
            typeof(Policy.Model.ProjectRole), typeof(Policy.Model.ServiceAccountScope), typeof(Policy.Model.AccessMode),
            typeof(Policy.Model.AuthenticationKind), typeof(Policy.Model.ApiKeyFormatKind), typeof(Policy.Model.AccessAction),
            typeof(Policy.Model.KeyAccess),
        ];
        foreach (var type in types)
        {
            foreach (Enum value in System.Enum.GetValues(type))
            {
                var name = value switch
                {
                    Policy.Model.AuthenticationKind.BuiltIn => "builtin",
                    Policy.Model.ApiKeyFormatKind.Legacy40 => "legacy40",
                    Policy.Model.ApiKeyFormatKind.ImportedLegacy => "importedLegacy",
                    Policy.Model.ApiKeyFormatKind.AccessToken => "accessToken",
                    Policy.Model.ApiKeyFormatKind.ConsoleSession => "consoleSession",
                    Policy.Model.ServiceAccountScope.Organization => "org",
                    _ => value.ToString().ToLowerInvariant(),
                };
                yield return new(value, name);
            }
        }
    }
}
