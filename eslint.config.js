import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules/", ".cache/", "artifacts/", "dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Node's globals everywhere but the web UI, which runs in the browser and has the browser's.
  { ignores: ["orchestrator/ui/**"], languageOptions: { globals: { ...globals.node } } },
  { files: ["orchestrator/ui/**"], languageOptions: { globals: { ...globals.browser } } },
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
);
