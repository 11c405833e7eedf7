/** Where Warden serves MCP over Streamable HTTP. */
export const MCP_PATH = '/mcp';
/** Where it serves its OAuth protected-resource metadata (RFC 9728), also path-inserted before `/mcp`. */
export const METADATA_PATH = '/.well-known/oauth-protected-resource';
