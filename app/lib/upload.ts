import { stringifyDocument, type TypedDocumentNode } from "@urql/core";
import { freshAccessToken, refreshAccessToken } from "../graphql/session.ts";

export interface UploadResult<Data> {
  data?: Data | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * Sends a mutation with files as a GraphQL multipart request through XMLHttpRequest, because fetch cannot
 * report upload progress. `files` maps variable paths (e.g. `input.attachments.0`) to files; the variables
 * must hold null at those paths.
 */
export async function uploadMutation<Data, Variables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  files: Record<string, File>,
  onProgress: (fraction: number) => void,
  idempotencyKey?: string,
): Promise<UploadResult<Data>> {
  const extensions = idempotencyKey ? { idempotencyKey } : undefined;
  const send = async (): Promise<{ status: number; body: UploadResult<Data> }> => {
    const token = await freshAccessToken();
    const form = new FormData();
    form.append("operations", JSON.stringify({ query: stringifyDocument(document), variables, extensions }));
    const map: Record<string, string[]> = {};
    const entries = Object.entries(files);
    entries.forEach(([path], index) => {
      map[String(index)] = [`variables.${path}`];
    });
    form.append("map", JSON.stringify(map));
    entries.forEach(([, file], index) => {
      form.append(String(index), file, file.name);
    });
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", "/graphql");
      request.setRequestHeader("graphql-require-preflight", "1");
      if (token) request.setRequestHeader("authorization", `Bearer ${token}`);
      request.responseType = "json";
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      request.onload = () => resolve({ status: request.status, body: (request.response ?? {}) as UploadResult<Data> });
      request.onerror = () => reject(new Error("The upload failed: check your connection and try again."));
      request.send(form);
    });
  };
  let response = await send();
  if (response.body.errors?.some((error) => error.extensions?.code === "UNAUTHENTICATED")) {
    if ((await refreshAccessToken()) === "refreshed") response = await send();
  }
  onProgress(1);
  return response.body;
}
