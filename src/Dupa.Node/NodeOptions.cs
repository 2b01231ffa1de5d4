namespace Dupa.Node;

/// <summary>
/// The node's settings, from the "Dupa" configuration section: appsettings.json, environment variables
/// (<c>Dupa__Data=/srv/dupa</c>), or flags (<c>--data</c>, <c>--signup</c>), in the usual ASP.NET Core order.
/// </summary>
public sealed class NodeOptions
{
    public const string Section = "Dupa";

    /// <summary>Where the node keeps its database, vaults and TLS certificate.</summary>
    public string Data { get; set; } = DefaultDataDirectory();

    /// <summary>A PFX certificate to serve HTTPS with; by default one is generated in the data directory.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>"invite" (the default): an admin invites each user. "open": anyone can sign up.</summary>
    public string Signup { get; set; } = "invite";

    /// <summary>For unattended installs: the first admin, created at first start (also DUPA_ADMIN_USER / DUPA_ADMIN_PASSWORD).</summary>
    public string? AdminUser { get; set; }

    public string? AdminPassword { get; set; }

    /// <summary>Plain HTTP on a non-loopback address is refused unless a reverse proxy in front terminates TLS.</summary>
    public bool BehindProxy { get; set; }

    /// <summary>The built web UI (index.html and assets/); by default the source tree's web/dist, else wwwroot beside the binary.</summary>
    public string? WebRoot { get; set; }

    /// <summary>Requests per user (or per address, when anonymous) per second, with a burst of ten times that.</summary>
    public int RequestsPerSecond { get; set; } = 50;

    /// <summary>Where to listen for peers (HOST:PORT, mutual TLS only; docs/protocol.md); none by default.</summary>
    public string? PeerListen { get; set; }

    /// <summary>Seconds between heartbeats to each peer.</summary>
    public int PeerHeartbeatSeconds { get; set; } = 10;

    /// <summary>Days a replica keeps packs its owner no longer has (set aside in <c>pruned/</c>) before deleting them.</summary>
    public int ReplicaPruneDays { get; set; } = 30;

    /// <summary>Announce this node and listen for peers on the local network (UDP broadcast; docs/protocol.md, Finding peers).</summary>
    public bool LocalDiscovery { get; set; } = true;

    /// <summary>The UDP port of local discovery.</summary>
    public int DiscoveryPort { get; set; } = 21027;

    /// <summary>Seconds between announcements.</summary>
    public int DiscoveryIntervalSeconds { get; set; } = 30;

    /// <summary>Where to send announcements instead of the broadcast address (comma-separated IP:PORT), e.g. for a routed network.</summary>
    public string? DiscoveryTargets { get; set; }

    /// <summary>Ask the gateway to forward the peer port: none (the default), natpmp, upnp or auto (NAT-PMP, then UPnP).</summary>
    public string? PortMapping { get; set; }

    /// <summary>The NAT-PMP gateway (IP or IP:PORT); by default the default route's gateway.</summary>
    public string? Gateway { get; set; }

    /// <summary>Where UPnP's SSDP search goes (IP:PORT); by default the multicast group 239.255.255.250:1900.</summary>
    public string? SsdpAddress { get; set; }

    /// <summary>At most this many bytes per second pulled from peers, all transfers together; 0 for no limit.</summary>
    public long PeerBandwidthBytesPerSecond { get; set; }

    /// <summary>Relay sessions between pinned peers that cannot dial each other (docs/protocol.md, Relaying); off by default.</summary>
    public bool Relay { get; set; }

    /// <summary>Reach peers through pinned peers that relay, and listen at them for sessions; on by default.</summary>
    public bool UseRelays { get; set; } = true;

    /// <summary>At most this many bytes per second through this node's relay, all sessions together; 0 for no cap.</summary>
    public long RelayBytesPerSecond { get; set; }

    /// <summary>A relayed session is closed after this many bytes, both directions together (1 GiB: a round's worth of packs).</summary>
    public long RelaySessionBytes { get; set; } = 1L << 30;

    /// <summary>Relayed sessions open or waiting at once, as a relay, and served at once, as a listening node.</summary>
    public int RelayMaxSessions { get; set; } = 32;

    /// <summary>Seconds between audits of each replica (docs/protocol.md, Audits).</summary>
    public int PeerAuditSeconds { get; set; } = 3600;

    public int AccessTokenMinutes { get; set; } = 15;

    public int RefreshTokenDays { get; set; } = 30;

    /// <summary>Wrong passwords allowed per account and address in a minute before logins are refused unchecked.</summary>
    public int LoginFailuresPerMinute { get; set; } = 10;

    /// <summary>Argon2id cost of user password hashes (3 passes over 64 MiB: about 0.1 s here).</summary>
    public int PasswordHashIterations { get; set; } = 3;

    public int PasswordHashMemoryKiB { get; set; } = 64 * 1024;

    /// <summary>Argon2id cost of new vaults' passphrase keys; the engine's default unless set.</summary>
    public int? VaultKdfIterations { get; set; }

    public int? VaultKdfMemoryKiB { get; set; }

    private static string DefaultDataDirectory() =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "dupa");
}
