using System.Text.Json;
using System.Text.Json.Serialization;
using Conveyor.Serialization;

namespace Conveyor.Cli.Tutorial;

/// <summary>The tutorials' message value: <c>{"id":3,"email":"user-3@foobar.com"}</c>.</summary>
internal sealed record User
{
    /// <summary>Strict JSON: both fields must be present and email not null, or decoding fails.</summary>
    public static readonly JsonValueSerializer<User> Json = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    });

    [JsonPropertyName("id")]
    public required long Id { get; init; }

    [JsonPropertyName("email")]
    public required string Email { get; init; }

    /// <summary>The tutorial's user number <paramref name="id"/>: key <c>user-N</c>, email <c>user-N@foobar.com</c>.</summary>
    public static User Numbered(long id) => new() { Id = id, Email = $"user-{id}@foobar.com" };

    /// <summary>The key the tutorial gives this user's messages.</summary>
    [JsonIgnore]
    public string Key => $"user-{Id}";

    /// <summary>Rust's Debug format, as the tutorial prints it: <c>User { id: 3, email: "user-3@foobar.com" }</c>.</summary>
    public override string ToString() => $"User {{ id: {Id}, email: \"{Email}\" }}";
}
