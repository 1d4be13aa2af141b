package limits

// The server (hallmark serve).
const (
	// ServerSBOMBytes bounds an uploaded SBOM (100,000 components fit).
	ServerSBOMBytes = 48 << 20
	// ServerRequestBytes bounds a request body: an SBOM in base64 inside
	// JSON, or multipart, with a VEX document and a release manifest.
	ServerRequestBytes = 72 << 20
	// ServerComponents bounds the components of one stored release.
	ServerComponents = 200_000
	// ServerFormBytes bounds a form post of the web UI.
	ServerFormBytes = 64 << 10
	// ServerJSONBytes bounds a small JSON request (triage, tokens).
	ServerJSONBytes = 1 << 20
	// ServerFormMemory is how much of a multipart form (the web UI's
	// upload) is held in memory; the rest of the request, itself bounded
	// by ServerRequestBytes, goes to temporary files.
	ServerFormMemory = 8 << 20
	// ServerComponentsShown bounds the components one page of the web UI
	// lists (a filter narrows them).
	ServerComponentsShown = 1000
)

// E-mail notifications (hallmark serve --smtp-server).
const (
	// MailRecipients bounds the addresses of one mailto: receiver.
	MailRecipients = 10
	// MailSummaryBytes bounds an advisory summary quoted in a message.
	MailSummaryBytes = 400
)
