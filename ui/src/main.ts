import "./style.css";
import { start } from "./app";
import { setLang, getLang } from "./i18n";
import { showError } from "./ui";
import "./screens/login";
import "./screens/till";
import "./screens/payment";
import "./screens/returns";
import "./screens/shift";
import "./screens/stock";
import "./screens/devices";
import "./screens/sync";

setLang(getLang());
start().catch(showError);
