import { A, useNavigate, useSearchParams } from "@solidjs/router";
import { createMutation } from "@urql/solid";
import { createSignal, Show } from "solid-js";
import { Field } from "../../components/field.tsx";
import { applyAuthPayload } from "../../graphql/session.ts";
import { fieldErrorMap, validateEmail, validatePassword, validateRequired } from "../../lib/field-errors.ts";
import { SignUpMutation } from "./auth.documents.ts";
import { afterSignIn } from "./sign-in-page.tsx";

export default function SignUpPage() {
  const [params] = useSearchParams<{ next?: string }>();
  const navigate = useNavigate();
  const [state, signUp] = createMutation(SignUpMutation);
  const [values, setValues] = createSignal({ name: "", email: "", password: "" });
  const [touched, setTouched] = createSignal<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal("");

  const errors = (): Record<string, string | undefined> => ({
    name: serverErrors().name ?? validateRequired(values().name, "Enter your name"),
    email: serverErrors().email ?? validateEmail(values().email),
    password: serverErrors().password ?? validatePassword(values().password),
  });
  const shown = (field: string) => (touched()[field] ? errors()[field] : undefined);
  const update = (field: "name" | "email" | "password", value: string) => {
    setValues({ ...values(), [field]: value });
    const { [field]: _cleared, ...rest } = serverErrors();
    setServerErrors(rest);
    setFormError("");
  };
  const touch = (field: string) => setTouched({ ...touched(), [field]: true });

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    setTouched({ name: true, email: true, password: true });
    setFormError("");
    if (Object.values(errors()).some(Boolean)) return;
    const result = await signUp({
      input: { name: values().name.trim(), email: values().email.trim(), password: values().password },
    });
    const outcome = result.data?.signUp;
    if (outcome?.__typename === "AuthPayload") {
      applyAuthPayload(outcome);
      navigate(afterSignIn(params.next, outcome.user.role), { replace: true });
    } else if (outcome?.__typename === "ValidationError") {
      setServerErrors(fieldErrorMap(outcome.fieldErrors));
    } else if (outcome?.__typename === "EmailTakenError") {
      setServerErrors({ email: outcome.message });
    } else {
      setFormError(result.error?.message ?? "Could not create the account");
    }
  };

  return (
    <section class="narrow">
      <h1>Create an account</h1>
      <form onSubmit={submit} novalidate>
        <Field
          label="Name"
          name="name"
          autocomplete="name"
          value={values().name}
          onInput={(event) => update("name", event.currentTarget.value)}
          onBlur={() => touch("name")}
          error={shown("name")}
        />
        <Field
          label="Email"
          type="email"
          name="email"
          autocomplete="email"
          inputmode="email"
          value={values().email}
          onInput={(event) => update("email", event.currentTarget.value)}
          onBlur={() => touch("email")}
          error={shown("email")}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autocomplete="new-password"
          hint="At least 8 characters."
          value={values().password}
          onInput={(event) => {
            update("password", event.currentTarget.value);
            touch("password");
          }}
          error={shown("password")}
        />
        <Show when={formError()}>
          <p class="form-error" role="alert">
            {formError()}
          </p>
        </Show>
        <button type="submit" class="button primary block" disabled={state.fetching}>
          {state.fetching ? "Creating your account…" : "Create account"}
        </button>
      </form>
      <p>
        Already have an account? <A href="/signin">Sign in</A>
      </p>
    </section>
  );
}
