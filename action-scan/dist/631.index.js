export const id = 631;
export const ids = [631];
export const modules = {

/***/ 8631:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Q: () => (/* binding */ HttpClient)
/* harmony export */ });
let real;
const load = () => (real ??= __webpack_require__.e(/* import() */ 942).then(__webpack_require__.bind(__webpack_require__, 4942)));
/** `HttpClient` of @actions/http-client, created on the first call of a request method. */
class HttpClient {
    #client;
    #args;
    constructor(userAgent, handlers, requestOptions) {
        this.#args = [userAgent, handlers, requestOptions];
    }
    #real() {
        return (this.#client ??= load().then((m) => new m.HttpClient(...this.#args)));
    }
    async options(...a) { return (await this.#real()).options(...a); }
    async get(...a) { return (await this.#real()).get(...a); }
    async del(...a) { return (await this.#real()).del(...a); }
    async post(...a) { return (await this.#real()).post(...a); }
    async patch(...a) { return (await this.#real()).patch(...a); }
    async put(...a) { return (await this.#real()).put(...a); }
    async head(...a) { return (await this.#real()).head(...a); }
    async sendStream(...a) { return (await this.#real()).sendStream(...a); }
    async request(...a) { return (await this.#real()).request(...a); }
    async getJson(...a) { return (await this.#real()).getJson(...a); }
    async postJson(...a) { return (await this.#real()).postJson(...a); }
    async putJson(...a) { return (await this.#real()).putJson(...a); }
    async patchJson(...a) { return (await this.#real()).patchJson(...a); }
    /** Nothing to release until a request created the real client. */
    dispose() {
        void this.#client?.then((c) => c.dispose());
    }
}


/***/ })

};
