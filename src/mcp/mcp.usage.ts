/** The `warden mcp` lines of the CLI's usage. */
export const MCP_USAGE = `  mcp                            serve MCP over stdio (token in WARDEN_MCP_TOKEN; logs go to stderr)
  mcp token create --agent A --on-behalf-of U…   issue a client token (printed once)
  mcp token list [--json]        list client tokens (never their secrets)
  mcp token revoke ID            revoke a client token`;
