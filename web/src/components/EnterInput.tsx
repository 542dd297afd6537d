import type { InputHTMLAttributes } from "react";
import { useDraft } from "../hooks/useDraft";

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, "value" | "onChange">;

/** A text box whose text applies on Enter (`onEnter`); it shows `value` again whenever that changes. */
export function EnterInput({ value, onEnter, formClassName, ...input }: { value: string; onEnter: (text: string) => void; formClassName?: string } & InputProps) {
  const [typed, setTyped] = useDraft(value);
  return (
    <form
      className={formClassName}
      onSubmit={(e) => {
        e.preventDefault();
        onEnter(typed);
      }}
    >
      <input {...input} value={typed} onChange={(e) => setTyped(e.target.value)} />
    </form>
  );
}
